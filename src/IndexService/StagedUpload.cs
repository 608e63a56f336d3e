using DeepEverest.Core;

namespace DeepEverest.IndexService;

/// <summary>
/// The files an <c>UploadModel</c> call streams into, under <c>&lt;data root&gt;/uploads/</c>
/// with unguessable names: the upload never sits in memory, and a crash leaves at most files that
/// <see cref="RemoveLeftovers"/> deletes at the next start. Disposing deletes them.
/// </summary>
internal sealed class StagedUpload : IDisposable
{
    /// <summary>Suffix of staged files.</summary>
    public const string Suffix = ".upload";

    private readonly string _directory;
    private readonly string _id = Guid.NewGuid().ToString("N");
    private FileStream? _model;
    private FileStream? _preprocessing;

    /// <summary>Creates the staging directory if needed; refuses one replaced by a symbolic link.</summary>
    public StagedUpload(string dataRoot)
    {
        _directory = DirectoryOf(dataRoot);
        var info = new DirectoryInfo(_directory);
        if (info.Exists && info.LinkTarget is not null)
        {
            // Someone with access to the data root planted a link: never write through it.
            throw DeepEverestException.Precondition("The uploads directory under the data root is a symbolic link; the operator must remove it.");
        }

        Directory.CreateDirectory(_directory);
    }

    /// <summary>Bytes staged so far, both files together.</summary>
    public long Bytes => (_model?.Length ?? 0) + (_preprocessing?.Length ?? 0);

    /// <summary>Whether any preprocessing bytes were staged.</summary>
    public bool HasPreprocessing => _preprocessing is not null;

    /// <summary>The staging directory of a data root.</summary>
    public static string DirectoryOf(string dataRoot) => Path.Combine(dataRoot, "uploads");

    /// <summary>Deletes staged files a crashed service left behind; returns how many.</summary>
    public static int RemoveLeftovers(string dataRoot)
    {
        string directory = DirectoryOf(dataRoot);
        var info = new DirectoryInfo(directory);
        if (!info.Exists || info.LinkTarget is not null)
        {
            return 0;
        }

        int removed = 0;
        foreach (FileInfo file in info.EnumerateFiles("*" + Suffix))
        {
            file.Delete();
            removed++;
        }

        return removed;
    }

    /// <summary>Appends model bytes.</summary>
    public ValueTask WriteModelAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        (_model ??= Create("model")).WriteAsync(data, cancellationToken);

    /// <summary>Appends preprocessing model bytes.</summary>
    public ValueTask WritePreprocessingAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        (_preprocessing ??= Create("preprocessing")).WriteAsync(data, cancellationToken);

    /// <summary>Reads back the staged model (empty when no bytes came).</summary>
    public byte[] ReadModel() => ReadAll(_model);

    /// <summary>Reads back the staged preprocessing model, or null when none came.</summary>
    public byte[]? ReadPreprocessing() => _preprocessing is null ? null : ReadAll(_preprocessing);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (FileStream? stream in new[] { _model, _preprocessing })
        {
            if (stream is not null)
            {
                stream.Dispose();
                File.Delete(stream.Name);
            }
        }
    }

    private static byte[] ReadAll(FileStream? stream)
    {
        if (stream is null)
        {
            return [];
        }

        stream.Flush();
        var bytes = new byte[stream.Length];
        stream.Position = 0;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private FileStream Create(string part) =>
        new(Path.Combine(_directory, $"{_id}.{part}{Suffix}"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
        });
}
