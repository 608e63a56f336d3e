namespace DeepEverest.Core.Datasets;

/// <summary>One part of a dataset: a file of inputs and optionally one of labels.</summary>
/// <param name="InputsPath">Path of an idx or .npy file (optionally gzip-compressed) of uint8 or float inputs.</param>
/// <param name="LabelsPath">Path of a 1-D idx or .npy file of integer labels, one per input, or null.</param>
public sealed record DatasetPartPaths(string InputsPath, string? LabelsPath);
