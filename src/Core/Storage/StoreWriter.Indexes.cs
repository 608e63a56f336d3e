using System.Runtime.InteropServices;
using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>Index and materialization builds: generations, their rows, publication, deletion.</summary>
public sealed partial class StoreWriter
{
    /// <summary>Test hook: runs while a publication holds the catalog lock, before its batch is written.</summary>
    internal Action? WhilePublishingForTests { get; set; }

    /// <summary>
    /// Starts a build: hands out a generation and records a pending marker, so that rows written
    /// under it are removed at the next start if the build never publishes.
    /// </summary>
    public ulong BeginGeneration(string what)
    {
        ulong generation = NextGeneration();
        var pending = new PendingBuild { Generation = generation, What = what, StartedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        using var batch = new WriteBatch();
        batch.Put(StoreLayout.PendingKey(generation), pending.ToByteArray(), Cf(StoreLayout.Meta));
        Write(batch, sync: true);
        return generation;
    }

    /// <summary>
    /// Writes the index rows of neurons [firstNeuron, firstNeuron + count) of a generation
    /// (row layouts: <see cref="StoreLayout"/>); returns their bytes. Layouts of the arguments as
    /// produced by <c>IKernels.BuildNeuronBlock</c>.
    /// </summary>
    public long WriteIndexRows(
        ulong generation,
        int firstNeuron,
        int count,
        int stride,
        int partitions,
        int maiCount,
        ReadOnlySpan<byte> codes,
        ReadOnlySpan<float> partMin,
        ReadOnlySpan<float> partMax,
        ReadOnlySpan<int> maiIds,
        ReadOnlySpan<float> maiValues)
    {
        using var batch = new WriteBatch();
        var bounds = new byte[StoreLayout.BoundsRowBytes(partitions)];
        var mai = new byte[StoreLayout.MaiRowBytes(maiCount)];
        long bytes = 0;
        for (int j = 0; j < count; j++)
        {
            byte[] key = StoreLayout.NeuronKey(generation, firstNeuron + j);
            batch.Put(key, codes.Slice(j * stride, stride), Cf(StoreLayout.Codes));
            StoreLayout.EncodeBoundsRow(partMin.Slice(j * partitions, partitions), partMax.Slice(j * partitions, partitions), bounds);
            batch.Put(key, bounds, Cf(StoreLayout.Bounds));
            StoreLayout.EncodeMaiRow(maiIds.Slice(j * maiCount, maiCount), maiValues.Slice(j * maiCount, maiCount), mai);
            batch.Put(key, mai, Cf(StoreLayout.Mai));
            bytes += stride + bounds.Length + mai.Length;
        }

        WriteBulk(batch, bytes);
        return bytes;
    }

    /// <summary>
    /// Writes the channel summary row of one segment (layout: <see cref="StoreLayout.SummaryKey"/>);
    /// returns its bytes.
    /// </summary>
    public long WriteSummaryRow(ulong generation, int segment, double sumRadius, double squareRadius, ReadOnlySpan<float> sums, ReadOnlySpan<float> squares)
    {
        byte[] value = StoreLayout.EncodeSummaryRow(sumRadius, squareRadius, sums, squares);
        using var batch = new WriteBatch();
        batch.Put(StoreLayout.SummaryKey(generation, segment), value, Cf(StoreLayout.Codes));
        Write(batch, sync: false);
        return value.Length;
    }

    /// <summary>Writes materialized activation columns (neuron-major, count x n floats).</summary>
    public void WriteActivationColumns(ulong generation, int firstNeuron, int count, int inputs, ReadOnlySpan<float> columns)
    {
        using var batch = new WriteBatch();
        for (int j = 0; j < count; j++)
        {
            batch.Put(StoreLayout.NeuronKey(generation, firstNeuron + j), MemoryMarshal.AsBytes(columns.Slice(j * inputs, inputs)), Cf(StoreLayout.Activations));
        }

        WriteBulk(batch, (long)count * inputs * 4);
    }

    /// <summary>
    /// Makes an index visible in one synchronous batch — the record now names its generation, the
    /// pending marker goes, and the rows of the index it replaces are deleted — once its rows
    /// (written without the WAL) are flushed. Refuses (FailedPrecondition) when the model or
    /// dataset versions the record names are no longer the current ones: the build read contents
    /// that were replaced while it ran. Snapshots taken before keep reading the replaced rows.
    /// </summary>
    public void PublishIndex(IndexRecord record) =>
        Publish(
            $"index of layer '{record.Layer}'",
            record.Model,
            record.ModelVersion,
            record.Dataset,
            record.DatasetVersion,
            StoreLayout.IndexKey(record.Model, record.Dataset, record.Layer),
            record.ToByteArray(),
            record.Generation,
            () => GetIndex(record.Model, record.Dataset, record.Layer)?.Generation);

    /// <summary>Publishes a materialization like <see cref="PublishIndex"/>.</summary>
    public void PublishMaterialization(MaterializationRecord record) =>
        Publish(
            $"materialization of layer '{record.Layer}'",
            record.Model,
            record.ModelVersion,
            record.Dataset,
            record.DatasetVersion,
            StoreLayout.MaterializationKey(record.Model, record.Dataset, record.Layer),
            record.ToByteArray(),
            record.Generation,
            () => GetMaterialization(record.Model, record.Dataset, record.Layer)?.Generation);

    /// <summary>
    /// Drops an unpublished generation (a cancelled or failed build). A generation that a
    /// published index or materialization names is never dropped: only its pending marker goes.
    /// </summary>
    public void AbortGeneration(ulong generation)
    {
        lock (_catalogLock)
        {
            using var batch = new WriteBatch();
            if (!ListIndexes().Any(i => i.Generation == generation) && !ListMaterializations().Any(m => m.Generation == generation))
            {
                DeleteGeneration(batch, generation);
            }

            batch.Delete(StoreLayout.PendingKey(generation), Cf(StoreLayout.Meta));
            Write(batch, sync: true);
        }
    }

    /// <summary>
    /// Deletes a published index; returns its bytes, or -1 when there was none. Atomic with
    /// respect to a concurrent rebuild's publication (both hold the catalog lock): the rebuild
    /// either replaced the index before (and this deletes the new one) or publishes after.
    /// Snapshots taken before keep reading the deleted rows.
    /// </summary>
    public long DeleteIndex(string model, string dataset, string layer)
    {
        lock (_catalogLock)
        {
            IndexRecord? old = GetIndex(model, dataset, layer);
            if (old is null)
            {
                return -1;
            }

            using var batch = new WriteBatch();
            batch.Delete(StoreLayout.IndexKey(model, dataset, layer), Cf(StoreLayout.Meta));
            DeleteGeneration(batch, old.Generation);
            Write(batch, sync: true);
            SignalPublication();
            return old.IndexBytes;
        }
    }

    /// <summary>
    /// Removes what crashed builds and imports left behind (rows of generations or dataset ids
    /// whose pending marker is still there); returns how many. Run by the primary at start-up.
    /// </summary>
    public int RemoveAbandonedBuilds()
    {
        List<PendingBuild> pending = ListRecords(StoreLayout.PendingPrefix, PendingBuild.Parser);
        foreach (PendingBuild p in pending)
        {
            if (p.What == "dataset")
            {
                AbortDataset((uint)p.Generation);
            }
            else
            {
                AbortGeneration(p.Generation);
            }
        }

        return pending.Count;
    }

    private void Publish(string what, string model, ulong modelVersion, string dataset, ulong datasetVersion, byte[] key, byte[] record, ulong generation, Func<ulong?> replaced)
    {
        FlushFamilies(_generationFamilies);
        lock (_catalogLock)
        {
            CheckSources(what, model, modelVersion, dataset, datasetVersion);
            WhilePublishingForTests?.Invoke();
            using var batch = new WriteBatch();
            batch.Put(key, record, Cf(StoreLayout.Meta));
            batch.Delete(StoreLayout.PendingKey(generation), Cf(StoreLayout.Meta));
            if (replaced() is { } old && old != generation)
            {
                DeleteGeneration(batch, old);
            }

            Write(batch, sync: true);
            SignalPublication();
        }
    }
}
