namespace DeepEverest.Core.Datasets;

/// <summary>What to import: the engine-side form of the API's ImportDatasetRequest.</summary>
/// <param name="Name">Dataset name (1-64 of [A-Za-z0-9._-]).</param>
/// <param name="Parts">Files in id order: inputs, and labels or null, as the caller named them.</param>
/// <param name="Preprocessing">How stored inputs become the model's input.</param>
/// <param name="InputShape">Per-input shape the model sees, or empty for the file's.</param>
/// <param name="Replace">Whether an existing dataset of that name may be replaced.</param>
/// <param name="LabelNames">Names of labels (by label), or null for none.</param>
/// <param name="ImageFolder">
/// Instead of <paramref name="Parts"/>: a folder of PNG and JPEG images in torchvision's
/// ImageFolder layout (one subfolder per class), or null. Needs <paramref name="InputShape"/>
/// [channels, height, width].
/// </param>
/// <param name="Slice">Import only these inputs of the source (an input-range shard), or null for all.</param>
/// <param name="Text">Instead of <paramref name="Parts"/>: text files to import as token items (docs/text.md), or null.</param>
public sealed record DatasetImportRequest(
    string Name,
    IReadOnlyList<DatasetPartPaths> Parts,
    InputPreprocessing Preprocessing,
    IReadOnlyList<long> InputShape,
    bool Replace,
    IReadOnlyDictionary<int, string>? LabelNames = null,
    string? ImageFolder = null,
    ImportSlice? Slice = null,
    Text.TextImportRequest? Text = null);
