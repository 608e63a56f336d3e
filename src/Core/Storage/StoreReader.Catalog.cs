using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Storage;

/// <summary>Catalog reads: model, dataset, index and materialization records, labels, staleness.</summary>
public partial class StoreReader
{
    /// <summary>The model of that name, or null.</summary>
    public ModelRecord? GetModel(string name) => GetRecord(StoreLayout.ModelKey(name), ModelRecord.Parser);

    /// <summary>The model of that name, or a NotFound failure naming the known ones.</summary>
    public ModelRecord RequireModel(string name) =>
        GetModel(name) ?? throw DeepEverestException.NotFound(
            $"No model '{name}'. Known models: {string.Join(", ", ListModels().Select(m => m.Name).DefaultIfEmpty("(none)"))}.");

    /// <summary>Every registered model, by name.</summary>
    public IReadOnlyList<ModelRecord> ListModels() => ListRecords(StoreLayout.ModelPrefix, ModelRecord.Parser);

    /// <summary>Full path of a model's file.</summary>
    public string ModelPath(ModelRecord model) => Path.Combine(DataRoot, "models", model.File);

    /// <summary>
    /// Reads a model's ONNX bytes, through the same confinement as client paths: a link planted
    /// under models/ cannot make the service read outside the data root.
    /// </summary>
    public byte[] ReadModelBytes(ModelRecord model)
    {
        using Files.DataFile file = global::DeepEverest.Core.DataRoot.OpenRead(DataRoot, "models/" + model.File, $"model '{model.Name}' file");
        return file.ReadAll(Array.MaxLength, "a model file is at most 2 GiB", CancellationToken.None);
    }

    /// <summary>The dataset of that name, or null.</summary>
    public DatasetRecord? GetDataset(string name) => GetRecord(StoreLayout.DatasetKey(name), DatasetRecord.Parser);

    /// <summary>The dataset of that name, or a NotFound failure naming the known ones.</summary>
    public DatasetRecord RequireDataset(string name) =>
        GetDataset(name) ?? throw DeepEverestException.NotFound(
            $"No dataset '{name}'. Known datasets: {string.Join(", ", ListDatasets().Select(d => d.Name).DefaultIfEmpty("(none)"))}.");

    /// <summary>Every dataset, by name.</summary>
    public IReadOnlyList<DatasetRecord> ListDatasets() => ListRecords(StoreLayout.DatasetPrefix, DatasetRecord.Parser);

    /// <summary>Labels of a dataset's inputs (index = input id), or null when it has none.</summary>
    public int[]? GetLabels(string name)
    {
        byte[]? value = _reads.Get(StoreLayout.LabelsKey(name), Cf(StoreLayout.Meta));
        return value is null ? null : StoreLayout.DecodeLabels(value);
    }

    /// <summary>The published index of a layer, or null.</summary>
    public IndexRecord? GetIndex(string model, string dataset, string layer) =>
        GetRecord(StoreLayout.IndexKey(model, dataset, layer), IndexRecord.Parser);

    /// <summary>Every published index.</summary>
    public IReadOnlyList<IndexRecord> ListIndexes() => ListRecords(StoreLayout.IndexPrefix, IndexRecord.Parser);

    /// <summary>The materialization of a layer, or null.</summary>
    public MaterializationRecord? GetMaterialization(string model, string dataset, string layer) =>
        GetRecord(StoreLayout.MaterializationKey(model, dataset, layer), MaterializationRecord.Parser);

    /// <summary>Every materialization.</summary>
    public IReadOnlyList<MaterializationRecord> ListMaterializations() =>
        ListRecords(StoreLayout.MaterializationPrefix, MaterializationRecord.Parser);

    /// <summary>Pending-work markers (builds and imports not yet published), for tests and diagnostics.</summary>
    internal IReadOnlyList<PendingBuild> ListPending() => ListRecords(StoreLayout.PendingPrefix, PendingBuild.Parser);

    /// <summary>
    /// Why <paramref name="index"/> must not be used — its model or dataset was replaced after it
    /// was built — or null when it describes their current contents.
    /// </summary>
    public static string? StaleReason(IndexRecord index, ModelRecord model, DatasetRecord dataset) =>
        StaleReason($"The index of layer '{index.Layer}'", index.ModelVersion, index.DatasetVersion, model, dataset);

    /// <summary>Like <see cref="StaleReason(IndexRecord, ModelRecord, DatasetRecord)"/> for a materialization.</summary>
    public static string? StaleReason(MaterializationRecord materialization, ModelRecord model, DatasetRecord dataset) =>
        StaleReason($"The materialization of layer '{materialization.Layer}'", materialization.ModelVersion, materialization.DatasetVersion, model, dataset);

    private static string? StaleReason(string what, ulong modelVersion, ulong datasetVersion, ModelRecord model, DatasetRecord dataset)
    {
        if (modelVersion != model.Version)
        {
            return $"{what} was built from an earlier version of model '{model.Name}'";
        }

        return datasetVersion != dataset.Version ? $"{what} was built from an earlier version of dataset '{dataset.Name}'" : null;
    }

    /// <summary>
    /// Indexes and materializations whose model or dataset was replaced (or removed) after they
    /// were built, each with the reason: never used, and left for an operator to delete.
    /// </summary>
    public IReadOnlyList<string> ListStale()
    {
        var models = ListModels().ToDictionary(m => m.Name);
        var datasets = ListDatasets().ToDictionary(d => d.Name);
        var stale = new List<string>();
        foreach (IndexRecord index in ListIndexes())
        {
            string? why = models.GetValueOrDefault(index.Model) is { } m && datasets.GetValueOrDefault(index.Dataset) is { } d
                ? StaleReason(index, m, d)
                : $"The index of layer '{index.Layer}' names a model or dataset that no longer exists";
            if (why is not null)
            {
                stale.Add($"{why} ({index.Model}/{index.Dataset})");
            }
        }

        foreach (MaterializationRecord mat in ListMaterializations())
        {
            string? why = models.GetValueOrDefault(mat.Model) is { } m && datasets.GetValueOrDefault(mat.Dataset) is { } d
                ? StaleReason(mat, m, d)
                : $"The materialization of layer '{mat.Layer}' names a model or dataset that no longer exists";
            if (why is not null)
            {
                stale.Add($"{why} ({mat.Model}/{mat.Dataset})");
            }
        }

        return stale;
    }
}
