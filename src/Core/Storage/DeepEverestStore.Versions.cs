using System.Buffers.Binary;
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
public sealed partial class DeepEverestStore
{
    /// <summary>
    /// Serializes the primary's catalog writes: dataset and model records (with their version
    /// stamps), index and materialization publication, index deletion. Each checks the state it
    /// depends on and writes in one batch while holding it.
    /// </summary>
    private readonly Lock _catalogLock = new();

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

    /// <summary>Writes the next record version into <paramref name="batch"/> and returns it; the caller holds the catalog lock.</summary>
    private ulong NextVersion(WriteBatch batch)
    {
        byte[]? value = _db.Get(StoreLayout.VersionSequenceKey, Cf(StoreLayout.Meta));
        ulong next = (value is null ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(value)) + 1;
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, next);
        batch.Put(StoreLayout.VersionSequenceKey, bytes, Cf(StoreLayout.Meta));
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
    /// <see cref="ListStale"/>. Runs when the primary opens; a no-op on an up-to-date store.
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
                var bytes = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, next);
                batch.Put(StoreLayout.VersionSequenceKey, bytes, Cf(StoreLayout.Meta));
            }

            if (batch.Count() > 0)
            {
                Write(batch, sync: true);
            }
        }
    }

    /// <summary>Writes a record as it is, bypassing every check: tests build stores as older versions wrote them.</summary>
    internal void WriteRecordForTests(byte[] key, IMessage record)
    {
        EnsureWritable();
        using var batch = new WriteBatch();
        batch.Put(key, record.ToByteArray(), Cf(StoreLayout.Meta));
        Write(batch, sync: true);
    }

    /// <summary>Generations that have rows in the codes column family (tests: nothing orphaned).</summary>
    internal IReadOnlyList<ulong> GenerationsWithRowsForTests()
    {
        var generations = new SortedSet<ulong>();
        _reads.Scan(Cf(StoreLayout.Codes), [0], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], (key, _) =>
        {
            generations.Add(BinaryPrimitives.ReadUInt64BigEndian(key));
            return true;
        });
        return [.. generations];
    }

    /// <summary>Compacts every column family, so files holding deleted rows really go (tests).</summary>
    internal void CompactForTests()
    {
        foreach (ColumnFamilyHandle family in _families.Values)
        {
            _db.CompactRange((byte[]?)null, null, family);
        }
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
