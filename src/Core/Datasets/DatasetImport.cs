using System.Diagnostics;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// One dataset import, in three steps so that a service can hold its catalog lock only around the
/// last: <c>Prepare</c> checks the request and every file's header (nothing is written, so
/// a bad request leaves no trace), <see cref="Run"/> streams the files into the store in bounded
/// memory with progress, and <see cref="Commit"/> publishes the dataset atomically. Disposing an
/// import that was not committed removes everything it wrote.
/// </summary>
public sealed partial class DatasetImport : IDisposable
{
    /// <summary>Most parts one import may have.</summary>
    public const int MaxParts = 1024;

    /// <summary>Bytes of inputs read and written per block (at least one input).</summary>
    public const int BlockBytes = 4 << 20;

    private readonly StoreWriter _store;
    private readonly DatasetImportRequest _request;
    private readonly Func<string, string, DataFile> _open;
    private readonly long _maxDecompressedBytes;
    private readonly ArrayHeader[] _headers;
    private readonly long[] _inputShape;
    private readonly int _elementType;
    private readonly long _start;
    private readonly long _end;
    private readonly ImageFolderPlan? _folder;
    private readonly TextPlan? _text;
    private DatasetWriter? _writer;

    private DatasetImport(StoreWriter store, DatasetImportRequest request, Func<string, string, DataFile> open, long maxDecompressedBytes, ArrayHeader[] headers, long[] inputShape, int elementType, long sourceInputs, (long Start, long End) range, long bytesTotal, ImageFolderPlan? folder = null, TextPlan? text = null)
    {
        _folder = folder;
        _text = text;
        _store = store;
        _request = request;
        _open = open;
        _maxDecompressedBytes = maxDecompressedBytes;
        _headers = headers;
        _inputShape = inputShape;
        _elementType = elementType;
        SourceInputs = sourceInputs;
        (_start, _end) = range;
        InputsTotal = _end - _start;
        BytesTotal = bytesTotal;
    }

    /// <summary>Inputs this import stores: all the files declare, or the slice's range of them.</summary>
    public long InputsTotal { get; }

    /// <summary>Inputs the files declare (the source's global ids run 0..SourceInputs-1).</summary>
    public long SourceInputs { get; }

    /// <summary>Total size of the inputs files this import reads (those its range touches), in bytes.</summary>
    public long BytesTotal { get; }

    /// <summary>Imports a dataset in one call (prepare, run, commit): for in-process callers.</summary>
    /// <param name="store">The primary store.</param>
    /// <param name="request">What to import.</param>
    /// <param name="open">Opens a file by (path, request field): <see cref="DataRoot.OpenRead"/> for client paths.</param>
    /// <param name="maxDecompressedBytes">Most bytes one compressed file may inflate to.</param>
    /// <param name="progress">Receives progress, or null.</param>
    /// <param name="list">Lists a folder by (path, request field), for an image folder: <see cref="DataRoot.ListFolder"/> for client paths; null refuses image folders.</param>
    /// <param name="cancellationToken">Abandons the import (nothing is kept).</param>
    public static DatasetRecord Import(
        StoreWriter store,
        DatasetImportRequest request,
        Func<string, string, DataFile> open,
        long maxDecompressedBytes = long.MaxValue,
        IProgress<DatasetImportProgress>? progress = null,
        Func<string, string, IReadOnlyList<FolderEntry>>? list = null,
        CancellationToken cancellationToken = default)
    {
        using DatasetImport import = Prepare(store, request, open, list ?? NoListing, maxDecompressedBytes, cancellationToken);
        import.Run(progress, cancellationToken);
        return import.Commit();
    }

    /// <summary>
    /// Checks the request and reads every file's header: names, part count, labels on every part or
    /// none, element types, per-input shapes (equal across parts), label counts, the input shape
    /// against the files, the preprocessing, and the slice against the source's inputs. Writes nothing.
    /// </summary>
    /// <exception cref="DeepEverestException">InvalidArgument naming the field at fault (a slice past the source's end included); NotFound for a missing file; AlreadyExists / FailedPrecondition for the name.</exception>
    public static DatasetImport Prepare(StoreWriter store, DatasetImportRequest request, Func<string, string, DataFile> open, long maxDecompressedBytes, CancellationToken cancellationToken) =>
        Prepare(store, request, open, NoListing, maxDecompressedBytes, cancellationToken);

    /// <summary>
    /// <see cref="Prepare(StoreWriter, DatasetImportRequest, Func{string, string, DataFile}, long, CancellationToken)"/>
    /// that can also import an image folder (<see cref="DatasetImportRequest.ImageFolder"/>), listing
    /// it with <paramref name="list"/>: every class folder and image is listed, and the request
    /// checked, before anything is written.
    /// </summary>
    /// <exception cref="DeepEverestException">InvalidArgument naming the field at fault; NotFound for a missing file or folder; AlreadyExists / FailedPrecondition for the name.</exception>
    public static DatasetImport Prepare(
        StoreWriter store,
        DatasetImportRequest request,
        Func<string, string, DataFile> open,
        Func<string, string, IReadOnlyList<FolderEntry>> list,
        long maxDecompressedBytes,
        CancellationToken cancellationToken)
    {
        StoreLayout.ValidateName(request.Name, "dataset");
        if (request.Text is not null)
        {
            return PrepareText(store, request, open, cancellationToken);
        }

        if (!string.IsNullOrEmpty(request.ImageFolder))
        {
            return PrepareImageFolder(store, request, open, list, cancellationToken);
        }

        if (request.Parts.Count == 0)
        {
            throw DeepEverestException.Invalid("parts is empty: give at least one part (an inputs file), or an image_folder.");
        }

        if (request.Parts.Count > MaxParts)
        {
            throw DeepEverestException.Invalid($"parts has {request.Parts.Count} entries; an import takes at most {MaxParts}.");
        }

        int labelled = request.Parts.Count(p => !string.IsNullOrEmpty(p.LabelsPath));
        if (labelled != 0 && labelled != request.Parts.Count)
        {
            throw DeepEverestException.Invalid($"{labelled} of {request.Parts.Count} parts have a labels_path: either every part has labels or none has.");
        }

        CheckLabelNames(request.LabelNames, labelled != 0);

        CheckName(store, request.Name, request.Replace);
        var headers = new ArrayHeader[request.Parts.Count];
        long[]? fileShape = null;
        ElementFormat firstFormat = default;
        long inputs = 0;
        var partBytes = new long[request.Parts.Count];
        for (int i = 0; i < request.Parts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DatasetPartPaths part = request.Parts[i];
            using (ArrayFileReader reader = ArrayFileReader.Open(open(part.InputsPath, $"parts[{i}].inputs_path"), maxDecompressedBytes))
            {
                ArrayHeader header = reader.Header;
                CheckInputsHeader(reader);
                long[] perInput = header.Shape.Length == 1 ? [1] : header.Shape[1..];
                if (fileShape is null)
                {
                    fileShape = perInput;
                    firstFormat = header.Format;
                }
                else if (!fileShape.SequenceEqual(perInput) || StoredType(firstFormat) != StoredType(header.Format))
                {
                    throw DeepEverestException.Invalid(
                        $"{reader.What} has inputs of shape [{string.Join(", ", perInput)}] ({header.Format}); part 0 has [{string.Join(", ", fileShape)}] ({firstFormat}): every part needs the same shape and element type.");
                }

                headers[i] = header;
                inputs += header.Items;
                partBytes[i] = reader.FileLength;
                if (inputs > int.MaxValue)
                {
                    throw DeepEverestException.Invalid($"parts hold {inputs} inputs; a dataset holds at most 2^31-1.");
                }
            }

            if (!string.IsNullOrEmpty(part.LabelsPath))
            {
                using ArrayFileReader labels = ArrayFileReader.Open(open(part.LabelsPath, $"parts[{i}].labels_path"), maxDecompressedBytes);
                if (labels.Header.Shape.Length != 1 || !labels.Header.Format.IsInteger)
                {
                    throw DeepEverestException.Invalid(
                        $"{labels.What} is not a 1-D array of integer labels: shape [{string.Join(", ", labels.Header.Shape)}], type {labels.Header.Format}.");
                }

                if (labels.Header.Items != headers[i].Items)
                {
                    throw DeepEverestException.Invalid($"{labels.What} has {labels.Header.Items} labels for the {headers[i].Items} inputs of parts[{i}].inputs_path.");
                }
            }
        }

        if (inputs == 0)
        {
            throw DeepEverestException.Invalid($"Dataset '{request.Name}' would be empty: the files hold no inputs.");
        }

        long[] inputShape = request.InputShape.Count > 0 ? [.. request.InputShape] : fileShape!;
        StoreWriter.CheckInputShape(inputShape);
        long shapeElements = inputShape.Aggregate(1L, (a, b) => a * b);
        long fileElements = headers[0].ItemElements;
        if (shapeElements != fileElements)
        {
            throw DeepEverestException.Invalid(
                $"input_shape [{string.Join(", ", inputShape)}] holds {shapeElements} elements but each input of the files holds {fileElements} (shape [{string.Join(", ", fileShape!)}]).");
        }

        request.Preprocessing.Validate(inputShape);
        (long Start, long End) range = request.Slice?.Resolve(inputs) ?? (0, inputs);
        long bytes = 0;
        long partStart = 0;
        for (int i = 0; i < headers.Length; i++)
        {
            bytes += Touches(range, partStart, headers[i].Items) ? partBytes[i] : 0;
            partStart += headers[i].Items;
        }

        return new DatasetImport(store, request, open, maxDecompressedBytes, headers, inputShape, StoredType(firstFormat), inputs, range, bytes);
    }

    /// <summary>
    /// Streams every part into the store, a block at a time (memory: one block plus one part's
    /// labels). Each file is opened again and must still have the header <c>Prepare</c> read.
    /// </summary>
    public void Run(IProgress<DatasetImportProgress>? progress, CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException("Run was already called.");
        }

        InputPreprocessing pre = _request.Preprocessing;
        _writer = _store.BeginDataset(_request.Name, _inputShape, _elementType, pre.Scale, pre.Shift, pre.Mean, pre.Std);
        if (_text is not null)
        {
            RunText(_text, progress, cancellationToken);
            return;
        }

        if (_folder is not null)
        {
            RunImageFolder(_folder, progress, cancellationToken);
            return;
        }

        var clock = Stopwatch.StartNew();
        long inputsDone = 0;
        long bytesBefore = 0;
        progress?.Report(new DatasetImportProgress(0, _headers.Length, 0, InputsTotal, 0, BytesTotal, clock.Elapsed));
        long partStart = 0;
        for (int i = 0; i < _headers.Length; i++)
        {
            long items = _headers[i].Items;
            if (Touches((_start, _end), partStart, items))
            {
                // The part's items [skip, stop) are the range's: ids before it are skipped without
                // being held, and the file is not read past the range's end.
                long skip = Math.Max(0, _start - partStart);
                long stop = Math.Min(items, _end - partStart);
                (long written, long fileBytes) = ImportPart(i, skip, stop, progress, inputsDone, bytesBefore, clock, cancellationToken);
                inputsDone += written;
                bytesBefore += fileBytes;
            }

            partStart += items;
            progress?.Report(new DatasetImportProgress(i + 1, _headers.Length, inputsDone, InputsTotal, bytesBefore, BytesTotal, clock.Elapsed));
        }
    }

    /// <summary>
    /// Writes items [<paramref name="skip"/>, <paramref name="stop"/>) of part <paramref name="i"/>;
    /// returns how many, and the file's size (the part counts as read once its range is).
    /// </summary>
    private (long Inputs, long FileBytes) ImportPart(int i, long skip, long stop, IProgress<DatasetImportProgress>? progress, long inputsBefore, long bytesBefore, Stopwatch clock, CancellationToken cancellationToken)
    {
        DatasetPartPaths part = _request.Parts[i];
        int[]? labels = null;
        if (!string.IsNullOrEmpty(part.LabelsPath))
        {
            using ArrayFileReader labelReader = ArrayFileReader.Open(_open(part.LabelsPath, $"parts[{i}].labels_path"), _maxDecompressedBytes);
            labels = labelReader.ReadLabels(cancellationToken);
            labelReader.EnsureEnd();
            if (labels.Length != _headers[i].Items)
            {
                throw Changed(labelReader.What);
            }
        }

        using ArrayFileReader reader = ArrayFileReader.Open(_open(part.InputsPath, $"parts[{i}].inputs_path"), _maxDecompressedBytes);
        if (!reader.Header.Shape.SequenceEqual(_headers[i].Shape) || reader.Header.Format != _headers[i].Format)
        {
            throw Changed(reader.What);
        }

        reader.SkipItems(skip, cancellationToken);
        long itemBytes = reader.StoredItemBytes;
        var block = new byte[Math.Max(itemBytes, BlockBytes / itemBytes * itemBytes)];
        long offset = skip;
        int read;
        while (offset < stop && (read = reader.ReadItems(block.AsSpan(0, checked((int)(Math.Min(block.Length / itemBytes, stop - offset) * itemBytes))), cancellationToken)) > 0)
        {
            _writer!.Append(block.AsSpan(0, checked((int)(read * itemBytes))), labels is null ? [] : labels.AsSpan(checked((int)offset), read));
            offset += read;
            progress?.Report(new DatasetImportProgress(i, _headers.Length, inputsBefore + offset - skip, InputsTotal, bytesBefore + reader.FilePosition, BytesTotal, clock.Elapsed));
        }

        if (stop == _headers[i].Items)
        {
            reader.EnsureEnd();
        }

        return (offset - skip, reader.FileLength);
    }

    /// <summary>Whether the part of <paramref name="items"/> inputs from global id <paramref name="partStart"/> holds any of <paramref name="range"/>.</summary>
    private static bool Touches((long Start, long End) range, long partStart, long items) => partStart < range.End && partStart + items > range.Start;

    /// <summary>
    /// Publishes the dataset (checking the name again: another import may have taken it meanwhile)
    /// and returns its record.
    /// </summary>
    public DatasetRecord Commit()
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("Run the import before committing it.");
        }

        CheckName(_store, _request.Name, _request.Replace);
        _writer.SetIdRange(_start, SourceInputs);
        if (_text is not null)
        {
            _writer.SetText(TextInfo(_text));
        }
        else if (_folder is not null)
        {
            _writer.SetLabelNames(ClassNames(_folder));
        }
        else if (_request.LabelNames is { Count: > 0 } names)
        {
            _writer.SetLabelNames(names);
        }

        return _writer.Commit();
    }

    /// <summary>Most label names one dataset may have.</summary>
    public const int MaxLabelNames = 100_000;

    /// <summary>Longest label name, in characters.</summary>
    public const int MaxLabelNameLength = 128;

    /// <summary>Refuses label names without labels, too many, or names that are empty, too long or hold control characters.</summary>
    private static void CheckLabelNames(IReadOnlyDictionary<int, string>? names, bool hasLabels)
    {
        if (names is null || names.Count == 0)
        {
            return;
        }

        if (!hasLabels)
        {
            throw DeepEverestException.Invalid("label_names needs labels: give every part a labels_path, or leave label_names empty.");
        }

        if (names.Count > MaxLabelNames)
        {
            throw DeepEverestException.Invalid($"label_names has {names.Count} entries; a dataset takes at most {MaxLabelNames:N0}.");
        }

        foreach ((int label, string name) in names)
        {
            if (name.Length == 0 || name.Length > MaxLabelNameLength || name.Any(char.IsControl))
            {
                throw DeepEverestException.Invalid(
                    $"label_names[{label}] must be 1-{MaxLabelNameLength} characters without control characters (got {name.Length} characters).");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer?.Dispose();

    /// <summary>
    /// Refuses a name that is taken (unless replacing) or a replacement of a dataset that indexes
    /// or materializations were built from.
    /// </summary>
    public static void CheckName(StoreReader store, string name, bool replace)
    {
        if (store.GetDataset(name) is null)
        {
            return;
        }

        if (!replace)
        {
            throw new DeepEverestException(ErrorKind.AlreadyExists, $"Dataset '{name}' already exists; pass replace to overwrite it.");
        }

        int indexes = store.ListIndexes().Count(i => i.Dataset == name);
        int materializations = store.ListMaterializations().Count(m => m.Dataset == name);
        if (indexes + materializations > 0)
        {
            throw DeepEverestException.Precondition(
                $"Dataset '{name}' has {indexes} index(es) and {materializations} materialization(s); delete them before replacing it.");
        }
    }

    private static void CheckInputsHeader(ArrayFileReader reader)
    {
        ArrayHeader header = reader.Header;
        if (header.Shape.Length == 1 && header.Format.IsInteger)
        {
            throw DeepEverestException.Invalid($"{reader.What} holds 1-D integers (labels?), not inputs; give it as labels_path.");
        }

        if (!header.Format.IsInputType)
        {
            throw DeepEverestException.Invalid($"{reader.What} holds {header.Format} values; inputs must be uint8 (stored as is) or float32/float64 (stored as float32).");
        }
    }

    private static int StoredType(ElementFormat format) => format == ElementFormat.UInt8 ? StoreLayout.ElementUInt8 : StoreLayout.ElementFloat32;

    private static DeepEverestException Changed(string what) =>
        DeepEverestException.Invalid($"{what} changed while it was imported; import it again once it is complete.");
}
