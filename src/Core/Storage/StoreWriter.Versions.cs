using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// Content binding: every dataset and model record gets a version stamp in the batch that writes
/// it, and an index (or materialization) records the two versions its build read before inference.
/// Publishing checks them under the catalog lock, and so do the writes that would replace a
/// dataset or model something was built from: an index is only ever visible while it describes
/// the current contents of both.
/// </summary>
public sealed partial class StoreWriter
{
    /// <summary>
    /// Serializes the primary's catalog writes: dataset and model records (with their version
    /// stamps), index and materialization publication, index deletion. Each checks the state it
    /// depends on and writes in one batch while holding it.
    /// </summary>
    private readonly Lock _catalogLock = new();

    /// <summary>Writes the next record version into <paramref name="batch"/> and returns it; the caller holds the catalog lock.</summary>
    private ulong NextVersion(WriteBatch batch)
    {
        ulong next = StoreLayout.DecodeU64(Db.Get(StoreLayout.VersionSequenceKey, Cf(StoreLayout.Meta))) + 1;
        batch.Put(StoreLayout.VersionSequenceKey, StoreLayout.EncodeU64(next), Cf(StoreLayout.Meta));
        return next;
    }

    /// <summary>
    /// Refuses (FailedPrecondition) to publish what was built from a model or dataset version that
    /// is no longer the current one; the caller holds the catalog lock.
    /// </summary>
    private void CheckSources(string what, string model, ulong modelVersion, string dataset, ulong datasetVersion)
    {
        ModelRecord? currentModel = GetModel(model);
        DatasetRecord? currentDataset = GetDataset(dataset);
        string? changed =
            currentModel is null ? $"model '{model}' was removed"
            : currentModel.Version != modelVersion ? $"model '{model}' was replaced"
            : currentDataset is null ? $"dataset '{dataset}' was removed"
            : currentDataset.Version != datasetVersion ? $"dataset '{dataset}' was replaced"
            : null;
        if (changed is not null)
        {
            throw DeepEverestException.Precondition(
                $"The {what} was not published: {changed} while it was being built, so it would describe contents that no longer exist. Build it again.");
        }
    }

    /// <summary>
    /// Refuses (FailedPrecondition) to replace a dataset or model that indexes or materializations
    /// were built from: they would silently describe other contents.
    /// </summary>
    private void CheckNothingBuiltOn(string kind, string name, Func<IndexRecord, string> indexSource, Func<MaterializationRecord, string> materializationSource)
    {
        int indexes = ListIndexes().Count(i => indexSource(i) == name);
        int materializations = ListMaterializations().Count(m => materializationSource(m) == name);
        if (indexes + materializations > 0)
        {
            throw DeepEverestException.Precondition(
                $"{kind} '{name}' has {indexes} index(es) and {materializations} materialization(s); delete them before replacing it.");
        }
    }

    /// <summary>
    /// Gives records written before version stamps existed theirs: datasets and models get fresh
    /// versions, and an index or materialization is bound to them when the old check still holds
    /// (same input count and, for indexes, the same model file). One that fails it keeps version 0,
    /// so it is never used (it was already ignored by queries) and is reported by
    /// <see cref="StoreReader.ListStale"/>. Runs when the primary opens; a no-op on an up-to-date store.
    /// </summary>
    private void StampLegacyRecords()
    {
        lock (_catalogLock)
        {
            using var batch = new WriteBatch();
            var datasets = new Dictionary<string, DatasetRecord>();
            var models = new Dictionary<string, ModelRecord>();
            ulong next = 0;
            foreach (DatasetRecord dataset in ListDatasets())
            {
                if (dataset.Version == 0)
                {
                    next = next == 0 ? NextVersion(batch) : next + 1;
                    dataset.Version = next;
                    batch.Put(StoreLayout.DatasetKey(dataset.Name), dataset.ToByteArray(), Cf(StoreLayout.Meta));
                }

                datasets[dataset.Name] = dataset;
            }

            foreach (ModelRecord model in ListModels())
            {
                if (model.Version == 0)
                {
                    next = next == 0 ? NextVersion(batch) : next + 1;
                    model.Version = next;
                    batch.Put(StoreLayout.ModelKey(model.Name), model.ToByteArray(), Cf(StoreLayout.Meta));
                }

                models[model.Name] = model;
            }

            foreach (IndexRecord index in ListIndexes().Where(i => i.ModelVersion == 0 && i.DatasetVersion == 0))
            {
                if (datasets.GetValueOrDefault(index.Dataset) is { } d && models.GetValueOrDefault(index.Model) is { } m
                    && d.Count == index.Inputs && m.Sha256 == index.ModelSha256)
                {
                    index.DatasetVersion = d.Version;
                    index.ModelVersion = m.Version;
                    batch.Put(StoreLayout.IndexKey(index.Model, index.Dataset, index.Layer), index.ToByteArray(), Cf(StoreLayout.Meta));
                }
            }

            foreach (MaterializationRecord mat in ListMaterializations().Where(x => x.ModelVersion == 0 && x.DatasetVersion == 0))
            {
                if (datasets.GetValueOrDefault(mat.Dataset) is { } d && models.GetValueOrDefault(mat.Model) is { } m && d.Count == mat.Inputs)
                {
                    mat.DatasetVersion = d.Version;
                    mat.ModelVersion = m.Version;
                    batch.Put(StoreLayout.MaterializationKey(mat.Model, mat.Dataset, mat.Layer), mat.ToByteArray(), Cf(StoreLayout.Meta));
                }
            }

            if (next != 0)
            {
                // The sequence key NextVersion put holds the first stamp; later ones counted on from it.
                batch.Put(StoreLayout.VersionSequenceKey, StoreLayout.EncodeU64(next), Cf(StoreLayout.Meta));
            }

            if (batch.Count() > 0)
            {
                Write(batch, sync: true);
            }
        }
    }
}
