using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Datasets;

/// <summary>One file of inputs and its optional labels.</summary>
/// <param name="InputsPath">Full path of an idx (optionally .gz) or .npy file.</param>
/// <param name="LabelsPath">Full path of its labels, or null.</param>
public sealed record DatasetPartFiles(string InputsPath, string? LabelsPath);

/// <summary>
/// Imports datasets from idx(.gz) and .npy files into the store. Parts are concatenated in order;
/// nothing is visible until every part has been read and written.
/// </summary>
public static class DatasetImporter
{
    /// <summary>Imports a dataset; returns its record.</summary>
    /// <param name="store">The primary store.</param>
    /// <param name="name">Dataset name.</param>
    /// <param name="parts">Parts in id order.</param>
    /// <param name="scale">Preprocessing multiplier (0 = 1).</param>
    /// <param name="shift">Preprocessing offset.</param>
    /// <param name="inputShape">Per-input shape the model sees, or empty for the file's.</param>
    /// <param name="replace">Whether an existing dataset of that name may be replaced.</param>
    public static DatasetRecord Import(
        DeepEverestStore store,
        string name,
        IReadOnlyList<DatasetPartFiles> parts,
        float scale,
        float shift,
        long[] inputShape,
        bool replace)
    {
        StoreLayout.ValidateName(name, "dataset");
        if (parts.Count == 0)
        {
            throw DeepEverestException.Invalid("Give at least one part (inputs file).");
        }

        if (!float.IsFinite(scale) || !float.IsFinite(shift))
        {
            throw DeepEverestException.Invalid("Preprocessing scale and shift must be finite.");
        }

        if (store.GetDataset(name) is not null)
        {
            if (!replace)
            {
                throw new DeepEverestException(ErrorKind.AlreadyExists, $"Dataset '{name}' already exists; pass replace to overwrite it.");
            }

            if (store.ListIndexes().Any(i => i.Dataset == name))
            {
                throw DeepEverestException.Precondition($"Dataset '{name}' has indexes; delete them before replacing it.");
            }
        }

        DatasetWriter? writer = null;
        try
        {
            long[]? fileShape = null;
            int elementType = 0;
            foreach (DatasetPartFiles part in parts)
            {
                RawArray inputs = Read(part.InputsPath);
                if (inputs.Labels is not null)
                {
                    throw DeepEverestException.Invalid($"{Path.GetFileName(part.InputsPath)} holds 1-D integers (labels?), not inputs.");
                }

                long[] perInput = inputs.Shape[1..];
                if (perInput.Length == 0)
                {
                    perInput = [1];
                }

                if (fileShape is null)
                {
                    fileShape = perInput;
                    elementType = inputs.ElementType;
                    long[] shape = inputShape.Length > 0 ? inputShape : perInput;
                    if (shape.Aggregate(1L, (a, b) => a * b) != perInput.Aggregate(1L, (a, b) => a * b) || shape.Any(d => d <= 0))
                    {
                        throw DeepEverestException.Invalid(
                            $"Input shape [{string.Join(", ", shape)}] does not hold the {perInput.Aggregate(1L, (a, b) => a * b)} elements per input of the file.");
                    }

                    writer = store.BeginDataset(name, shape, elementType, scale, shift);
                }
                else if (!fileShape.SequenceEqual(perInput) || elementType != inputs.ElementType)
                {
                    throw DeepEverestException.Invalid(
                        $"Part {Path.GetFileName(part.InputsPath)} has inputs of shape [{string.Join(", ", perInput)}]; earlier parts had [{string.Join(", ", fileShape)}] (and the same element type is required).");
                }

                int[] labels = [];
                if (part.LabelsPath is not null)
                {
                    RawArray labelArray = Read(part.LabelsPath);
                    labels = labelArray.Labels ?? throw DeepEverestException.Invalid($"{Path.GetFileName(part.LabelsPath)} is not a 1-D array of integer labels.");
                    if (labels.Length != inputs.Shape[0])
                    {
                        throw DeepEverestException.Invalid(
                            $"{Path.GetFileName(part.LabelsPath)} has {labels.Length} labels for {inputs.Shape[0]} inputs.");
                    }
                }

                writer!.Append(inputs.Data, labels);
            }

            DatasetRecord record = writer!.Commit();
            return record;
        }
        finally
        {
            writer?.Dispose();
        }
    }

    private static RawArray Read(string path)
    {
        if (!File.Exists(path))
        {
            throw DeepEverestException.NotFound($"No file at {path}.");
        }

        return path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? NpyReader.Read(path) : IdxReader.Read(path);
    }
}
