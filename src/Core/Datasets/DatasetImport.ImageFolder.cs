using System.Diagnostics;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// Imports of an image folder in torchvision's ImageFolder layout: <c>folder/&lt;class&gt;/&lt;image&gt;</c>.
/// </summary>
/// <remarks>
/// Classes are the subfolders, sorted by name (code point order, as Python's <c>sorted</c>); the
/// label of an image is its class's index and the class names become the label names. Ids run
/// over the images in (class, file name) order. Unlike torchvision, hidden entries (names
/// starting with ".", e.g. <c>.ipynb_checkpoints</c>) are skipped, files directly in the folder
/// are ignored, and anything in a class folder other than a .png, .jpg or .jpeg file (another
/// file, a nested folder, a pipe) is refused naming it, so nothing is silently left out.
/// </remarks>
public sealed partial class DatasetImport
{
    /// <summary>The request field image folder paths are named by in messages.</summary>
    private const string FolderField = "image_folder";

    private static readonly string[] _imageExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Lists folders for callers that import only files: refuses image folders.</summary>
    private static IReadOnlyList<FolderEntry> NoListing(string path, string field) =>
        throw new InvalidOperationException("This caller imports files only; pass a folder lister to import an image folder.");

    /// <summary>An image folder's classes and images, in id order, as listed by <see cref="PrepareImageFolder"/>.</summary>
    /// <param name="Classes">Class names, sorted; class i has label i.</param>
    /// <param name="Images">Paths (as the client would write them) and labels of the images, in id order.</param>
    /// <param name="ClassEnds">Index in <paramref name="Images"/> one past each class's last image.</param>
    private sealed record ImageFolderPlan(string[] Classes, (string Path, int Label)[] Images, int[] ClassEnds);

    private static DatasetImport PrepareImageFolder(
        StoreWriter store,
        DatasetImportRequest request,
        Func<string, string, DataFile> open,
        Func<string, string, IReadOnlyList<FolderEntry>> list,
        CancellationToken cancellationToken)
    {
        string folder = request.ImageFolder!;
        if (request.Parts.Count > 0)
        {
            throw DeepEverestException.Invalid("Give either parts (array files) or image_folder, not both.");
        }

        if (request.Slice is not null)
        {
            throw DeepEverestException.Invalid("input_range and shard apply to parts (array files) only, not to an image_folder: convert the folder to an .npy to import it in shards.");
        }

        if (request.LabelNames is { Count: > 0 })
        {
            throw DeepEverestException.Invalid("label_names cannot be given with image_folder: the class folders' names are the label names.");
        }

        long[] inputShape = [.. request.InputShape];
        if (inputShape.Length != 3 || inputShape[0] is not (1 or 3))
        {
            throw DeepEverestException.Invalid(
                $"input_shape [{string.Join(", ", inputShape)}] does not fit image_folder: give [channels, height, width] with channels 1 (grey) or 3 (RGB), e.g. [3, 224, 224]; images are resized to height x width.");
        }

        StoreWriter.CheckInputShape(inputShape);
        request.Preprocessing.Validate(inputShape);
        CheckName(store, request.Name, request.Replace);

        string prefix = folder.TrimEnd('/');
        var classes = new List<string>();
        var images = new List<(string Path, int Label)>();
        var ends = new List<int>();
        long bytes = 0;
        foreach (FolderEntry entry in list(folder, FolderField))
        {
            if (entry.Kind != FolderEntryKind.Folder || entry.Name.StartsWith('.'))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            string classPath = $"{prefix}/{entry.Name}";
            if (entry.Name.Length > MaxLabelNameLength || entry.Name.Any(char.IsControl))
            {
                throw DeepEverestException.Invalid(
                    $"{FolderField}: the class folder '{DataFile.Shorten(classPath)}' has a name that cannot be a label name (1-{MaxLabelNameLength} characters, no control characters): rename it.");
            }

            int label = classes.Count;
            foreach (FolderEntry file in list(classPath, FolderField))
            {
                if (file.Name.StartsWith('.'))
                {
                    continue;
                }

                string filePath = $"{classPath}/{file.Name}";
                if (file.Kind != FolderEntryKind.File || !_imageExtensions.Any(e => file.Name.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                {
                    string kind = file.Kind switch
                    {
                        FolderEntryKind.Folder => "a nested folder (class folders are not searched recursively)",
                        FolderEntryKind.Other => "not a regular file",
                        _ => "not a .png, .jpg or .jpeg file",
                    };
                    throw DeepEverestException.Invalid(
                        $"{FolderField}: '{DataFile.Shorten(filePath)}' is {kind}; a class folder may hold only PNG and JPEG images: move it out or convert it.");
                }

                images.Add((filePath, label));
                bytes += file.Length;
            }

            if (images.Count == ends.LastOrDefault())
            {
                throw DeepEverestException.Invalid($"{FolderField}: the class folder '{DataFile.Shorten(classPath)}' holds no .png, .jpg or .jpeg file; remove it or add images.");
            }

            classes.Add(entry.Name);
            ends.Add(images.Count);
            if (classes.Count > MaxLabelNames)
            {
                throw DeepEverestException.Invalid($"{FolderField}: more than {MaxLabelNames:N0} class folders.");
            }
        }

        if (classes.Count == 0)
        {
            throw DeepEverestException.Invalid(
                $"{FolderField}: '{DataFile.Shorten(folder)}' holds no class folder; put the images in one subfolder per class (torchvision's ImageFolder layout).");
        }

        var plan = new ImageFolderPlan([.. classes], [.. images], [.. ends]);
        return new DatasetImport(store, request, open, long.MaxValue, [], inputShape, StoreLayout.ElementUInt8, images.Count, (0, images.Count), bytes, plan);
    }

    /// <summary>Decodes every image into the store, a block of inputs at a time, reporting class folders as parts.</summary>
    private void RunImageFolder(ImageFolderPlan plan, IProgress<DatasetImportProgress>? progress, CancellationToken cancellationToken)
    {
        int channels = (int)_inputShape[0];
        int height = (int)_inputShape[1];
        int width = (int)_inputShape[2];
        int itemBytes = channels * height * width;
        int perBlock = Math.Max(1, BlockBytes / itemBytes);
        var block = new byte[perBlock * itemBytes];
        var labels = new int[perBlock];
        int inBlock = 0;
        long bytesDone = 0;
        int classesDone = 0;
        var clock = Stopwatch.StartNew();
        progress?.Report(new DatasetImportProgress(0, plan.Classes.Length, 0, InputsTotal, 0, BytesTotal, clock.Elapsed, "class"));
        for (int i = 0; i < plan.Images.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (string path, int label) = plan.Images[i];
            using (DataFile file = _open(path, FolderField))
            {
                byte[] encoded = file.ReadAll(ImageFileDecoder.MaxFileBytes, "the largest image file read", cancellationToken);
                ImageFileDecoder.Decode(encoded, $"{file.Field} '{file.Name}'", channels, height, width, block.AsSpan(inBlock * itemBytes, itemBytes));
                bytesDone += encoded.Length;
            }

            labels[inBlock++] = label;
            bool classEnds = i + 1 == plan.ClassEnds[classesDone];
            if (inBlock == perBlock || i + 1 == plan.Images.Length)
            {
                _writer!.Append(block.AsSpan(0, inBlock * itemBytes), labels.AsSpan(0, inBlock));
                inBlock = 0;
            }

            // Reported per image (decoding dominates; the relay throttles what is streamed).
            classesDone += classEnds ? 1 : 0;
            progress?.Report(new DatasetImportProgress(classesDone, plan.Classes.Length, i + 1, InputsTotal, bytesDone, BytesTotal, clock.Elapsed, "class"));
        }
    }

    /// <summary>The label names an image folder gives: class i names label i.</summary>
    private static Dictionary<int, string> ClassNames(ImageFolderPlan plan) =>
        plan.Classes.Select((name, label) => (name, label)).ToDictionary(c => c.label, c => c.name);
}
