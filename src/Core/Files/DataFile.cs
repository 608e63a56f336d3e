using Microsoft.Win32.SafeHandles;

namespace DeepEverest.Core.Files;

/// <summary>
/// A regular file opened for reading: from a client's path under a data root
/// (<see cref="DataRoot.OpenRead"/>) or, for in-process callers such as benchmarks, from any path
/// (<see cref="OpenTrusted"/>). Messages about it use <see cref="Name"/>, the path as the caller gave
/// it, never the absolute path it resolved to.
/// </summary>
public sealed class DataFile : IDisposable
{
    /// <summary>Longest path shown in a message; longer ones are cut in the middle.</summary>
    public const int MaxShownPathChars = 120;

    internal DataFile(SafeFileHandle handle, long length, string name, string field)
    {
        // No FileStream buffer: readers ask for large blocks.
        Stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        Length = length;
        Name = name;
        Field = field;
    }

    /// <summary>The contents, positioned at the start.</summary>
    public Stream Stream { get; }

    /// <summary>Length in bytes when opened.</summary>
    public long Length { get; }

    /// <summary>The path as given (shortened to <see cref="MaxShownPathChars"/>), for messages.</summary>
    public string Name { get; }

    /// <summary>The request field the path came from, e.g. <c>parts[0].inputs_path</c>, for messages.</summary>
    public string Field { get; }

    /// <summary>
    /// Opens a file of the local machine that the caller trusts (not a client's path): benchmarks
    /// and tests importing from /usr/share. Still refuses anything but a regular file.
    /// </summary>
    public static DataFile OpenTrusted(string path, string field = "path")
    {
        string name = Shorten(path);
        if (!File.Exists(path))
        {
            throw DeepEverestException.NotFound($"{field}: no file '{name}'.");
        }

        if ((File.GetAttributes(path) & (FileAttributes.Directory | FileAttributes.Device)) != 0)
        {
            throw DeepEverestException.Invalid($"{field}: '{name}' is not a regular file.");
        }

        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return new DataFile(handle, RandomAccess.GetLength(handle), name, field);
    }

    /// <summary>
    /// Reads the whole file, refusing (InvalidArgument naming the field) one longer than
    /// <paramref name="maxBytes"/>; honours <paramref name="cancellationToken"/> between blocks.
    /// </summary>
    public byte[] ReadAll(long maxBytes, string limitNote, CancellationToken cancellationToken)
    {
        if (Length > maxBytes)
        {
            throw DeepEverestException.Invalid($"{Field}: '{Name}' is {Length} bytes, over the {maxBytes} accepted ({limitNote}).");
        }

        var bytes = new byte[Length];
        int done = 0;
        while (done < bytes.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int read = Stream.Read(bytes, done, Math.Min(bytes.Length - done, 1 << 22));
            if (read == 0)
            {
                throw DeepEverestException.Invalid($"{Field}: '{Name}' shrank while it was read; retry when it is complete.");
            }

            done += read;
        }

        return bytes;
    }

    /// <summary>A user-given path or name made safe to show: cut to <see cref="MaxShownPathChars"/>, control characters escaped.</summary>
    public static string Shorten(string value)
    {
        string shown = value.Length <= MaxShownPathChars ? value : value[..60] + "…" + value[^59..];
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    /// <inheritdoc />
    public void Dispose() => Stream.Dispose();
}
