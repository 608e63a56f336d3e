using DeepEverest.Core;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Models;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Bench;

/// <summary>
/// The benchmark's data roots. A base root holds only the dataset and the model; every index
/// build and the materializations get their own copy of it, so the on-disk bytes an index adds
/// are the difference of two stores' SST sizes, untouched by the tombstones and compactions that
/// replacing an index in one shared store would leave behind.
/// </summary>
internal static class BenchStores
{
    /// <summary>Name of the registered demo model.</summary>
    public const string Model = "fashion_vgg";

    /// <summary>Name of the imported dataset.</summary>
    public const string Dataset = "fashion-mnist";

    /// <summary>
    /// Creates the base root: registers the model and imports the first <paramref name="inputs"/>
    /// Fashion-MNIST images (train then test), as pixel / 255 in shape [1, 28, 28].
    /// </summary>
    public static ModelRecord CreateBase(string root, string modelPath, string datasetDirectory, int inputs)
    {
        if (!File.Exists(modelPath))
        {
            throw DeepEverestException.NotFound($"No model at {Path.GetFullPath(modelPath)}: run from the repository root or pass --model-path.");
        }

        using StoreWriter store = StoreWriter.OpenPrimary(root);
        ModelRecord model = ModelCatalog.Register(store, Model, File.ReadAllBytes(modelPath), replace: true);
        DatasetPartPaths[] parts =
        [
            new(Path.Combine(datasetDirectory, "train-images-idx3-ubyte.gz"), Path.Combine(datasetDirectory, "train-labels-idx1-ubyte.gz")),
            new(Path.Combine(datasetDirectory, "t10k-images-idx3-ubyte.gz"), Path.Combine(datasetDirectory, "t10k-labels-idx1-ubyte.gz")),
        ];
        if (inputs >= 70_000)
        {
            var request = new DatasetImportRequest(Dataset, parts, InputPreprocessing.Affine(1 / 255f, 0), [1, 28, 28], Replace: true);
            DatasetImport.Import(store, request, DataFile.OpenTrusted);
        }
        else
        {
            ImportFirst(store, parts, inputs);
        }

        return model;
    }

    /// <summary>Copies a closed data root to <paramref name="destination"/> (replacing it) and returns it.</summary>
    public static string Copy(string source, string destination)
    {
        Delete(destination);
        foreach (string directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        }

        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)), overwrite: true);
        }

        return destination;
    }

    /// <summary>Marks a directory as the benchmark's own, so that only such a directory is ever cleared.</summary>
    public const string Marker = ".deepeverest-bench";

    /// <summary>
    /// Prepares the benchmark's top directory: creates it, or clears it if an earlier run left it
    /// (it carries <see cref="Marker"/>). Refuses a non-empty directory that is not the benchmark's.
    /// </summary>
    public static void PrepareDataRoot(string root)
    {
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!File.Exists(Path.Combine(root, Marker)))
            {
                throw DeepEverestException.Invalid($"--data-root {Path.GetFullPath(root)} exists and is not a benchmark data root: choose a new or empty directory.");
            }

            Delete(root);
        }

        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, Marker), "Scratch stores of `deepeverest bench paper`; safe to delete.\n");
    }

    /// <summary>Deletes the benchmark's top directory, but only if it carries <see cref="Marker"/>.</summary>
    public static void DeleteDataRoot(string root)
    {
        if (File.Exists(Path.Combine(root, Marker)))
        {
            Delete(root);
        }
    }

    /// <summary>Deletes a data root if it exists.</summary>
    public static void Delete(string root)
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// On-disk bytes of a closed store: reopening it flushes what the write-ahead log held into SST
    /// files, so the RocksDB size properties then count every byte the store keeps.
    /// </summary>
    public static long DiskBytes(string root)
    {
        using StoreWriter store = StoreWriter.OpenPrimary(root);
        return store.ApproximateDiskBytes();
    }

    private static void ImportFirst(StoreWriter store, DatasetPartPaths[] parts, int inputs)
    {
        // The importer takes whole files; a prefix of the concatenation is written directly.
        using DatasetWriter writer = store.BeginDataset(Dataset, [1, 28, 28], StoreLayout.ElementUInt8, 1 / 255f, 0);
        int left = inputs;
        foreach (DatasetPartPaths part in parts)
        {
            if (left == 0)
            {
                break;
            }

            RawArray images = RawArray.Read(part.InputsPath);
            int[] labels = RawArray.Read(part.LabelsPath!).Labels ?? throw DeepEverestException.Invalid($"{part.LabelsPath} holds no labels.");
            int take = Math.Min(left, labels.Length);
            int bytes = images.Data.Length / labels.Length;
            writer.Append(images.Data.AsSpan(0, take * bytes), labels.AsSpan(0, take));
            left -= take;
        }

        writer.Commit();
    }
}
