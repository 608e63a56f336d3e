using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

public sealed partial class DeepEverestStore
{
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
    /// Writes the index rows of neurons [firstNeuron, firstNeuron + count) of a generation.
    /// Layouts as produced by <c>IKernels.BuildNeuronBlock</c>.
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
        EnsureWritable();
        using var batch = new WriteBatch();
        var bounds = new byte[partitions * 8];
        var mai = new byte[maiCount * 8];
        long bytes = 0;
        for (int j = 0; j < count; j++)
        {
            byte[] key = StoreLayout.NeuronKey(generation, firstNeuron + j);
            batch.Put(key, codes.Slice(j * stride, stride), Cf(StoreLayout.Codes));
            MemoryMarshal.AsBytes(partMin.Slice(j * partitions, partitions)).CopyTo(bounds);
            MemoryMarshal.AsBytes(partMax.Slice(j * partitions, partitions)).CopyTo(bounds.AsSpan(partitions * 4));
            batch.Put(key, bounds, Cf(StoreLayout.Bounds));
            MemoryMarshal.AsBytes(maiIds.Slice(j * maiCount, maiCount)).CopyTo(mai);
            MemoryMarshal.AsBytes(maiValues.Slice(j * maiCount, maiCount)).CopyTo(mai.AsSpan(maiCount * 4));
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
        EnsureWritable();
        var value = new byte[16 + ((sums.Length + squares.Length) * 4)];
        BinaryPrimitives.WriteDoubleLittleEndian(value, sumRadius);
        BinaryPrimitives.WriteDoubleLittleEndian(value.AsSpan(8), squareRadius);
        MemoryMarshal.AsBytes(sums).CopyTo(value.AsSpan(16));
        MemoryMarshal.AsBytes(squares).CopyTo(value.AsSpan(16 + (sums.Length * 4)));
        using var batch = new WriteBatch();
        batch.Put(StoreLayout.SummaryKey(generation, segment), value, Cf(StoreLayout.Codes));
        Write(batch, sync: false);
        return value.Length;
    }

    /// <summary>
    /// Reads the channel summary rows of the given segments of an index (one MultiGet; read through
    /// a <see cref="Snapshot"/> for a consistent view).
    /// </summary>
    public SummaryRows ReadSummaries(IndexRecord index, int[] segments)
    {
        int n = (int)index.Inputs;
        var keys = new byte[segments.Length][];
        for (int s = 0; s < segments.Length; s++)
        {
            keys[s] = StoreLayout.SummaryKey(index.Generation, segments[s]);
        }

        byte[][] rows = MultiGet(keys, StoreLayout.Codes);
        var result = new SummaryRows(new double[segments.Length], new double[segments.Length], new float[segments.Length][], new float[segments.Length][]);
        for (int s = 0; s < segments.Length; s++)
        {
            byte[] row = rows[s];
            if (row.Length != 16 + (n * 8))
            {
                throw DeepEverestException.Precondition($"A channel summary row of the index has {row.Length} bytes, not {16 + (n * 8)}; rebuild the index.");
            }

            result.SumRadius[s] = BinaryPrimitives.ReadDoubleLittleEndian(row);
            result.SquareRadius[s] = BinaryPrimitives.ReadDoubleLittleEndian(row.AsSpan(8));
            result.Sums[s] = MemoryMarshal.Cast<byte, float>(row.AsSpan(16, n * 4)).ToArray();
            result.Squares[s] = MemoryMarshal.Cast<byte, float>(row.AsSpan(16 + (n * 4), n * 4)).ToArray();
        }

        return result;
    }

    /// <summary>Writes materialized activation columns (neuron-major, count x n floats).</summary>
    public void WriteActivationColumns(ulong generation, int firstNeuron, int count, int inputs, ReadOnlySpan<float> columns)
    {
        EnsureWritable();
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

    /// <summary>Test hook: runs while a publication holds the catalog lock, before its batch is written.</summary>
    internal Action? WhilePublishingForTests { get; set; }

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

    private void Publish(string what, string model, ulong modelVersion, string dataset, ulong datasetVersion, byte[] key, byte[] record, ulong generation, Func<ulong?> replaced)
    {
        EnsureWritable();
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

    /// <summary>
    /// Drops an unpublished generation (a cancelled or failed build). A generation that a
    /// published index or materialization names is never dropped: only its pending marker goes.
    /// </summary>
    public void AbortGeneration(ulong generation)
    {
        EnsureWritable();
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
        EnsureWritable();
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
    /// whose pending marker is still there). Run by the primary at start-up.
    /// </summary>
    public int RemoveAbandonedBuilds()
    {
        EnsureWritable();
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

    /// <summary>
    /// Reads the index rows of a group of neurons with three MultiGets (codes, bounds, MAI). Read
    /// through a <see cref="Snapshot"/> that also gave <paramref name="index"/>, the rows are
    /// always there, whatever was rebuilt or deleted since.
    /// </summary>
    public GroupIndexData ReadGroup(IndexRecord index, int[] neurons)
    {
        int g = neurons.Length;
        int partitions = (int)index.Partitions;
        int stride = Kernels.CodeLayout.StrideBytes((int)index.Inputs, (int)index.Bits);
        var keys = new byte[g][];
        for (int j = 0; j < g; j++)
        {
            keys[j] = StoreLayout.NeuronKey(index.Generation, neurons[j]);
        }

        byte[][] codeRows = MultiGet(keys, StoreLayout.Codes);
        byte[][] boundRows = MultiGet(keys, StoreLayout.Bounds);
        byte[][] maiRows = MultiGet(keys, StoreLayout.Mai);
        var codes = new byte[(long)g * stride];
        var partMin = new float[g * partitions];
        var partMax = new float[g * partitions];
        var maiIds = new int[g][];
        var maiValues = new float[g][];
        int c = (int)index.MaiCount;
        for (int j = 0; j < g; j++)
        {
            codeRows[j].CopyTo(codes.AsSpan(j * stride, stride));
            ReadOnlySpan<float> b = MemoryMarshal.Cast<byte, float>(boundRows[j]);
            b[..partitions].CopyTo(partMin.AsSpan(j * partitions));
            b.Slice(partitions, partitions).CopyTo(partMax.AsSpan(j * partitions));
            maiIds[j] = MemoryMarshal.Cast<byte, int>(maiRows[j].AsSpan(0, c * 4)).ToArray();
            maiValues[j] = MemoryMarshal.Cast<byte, float>(maiRows[j].AsSpan(c * 4, c * 4)).ToArray();
        }

        return new GroupIndexData(codes, partMin, partMax, maiIds, maiValues);
    }

    /// <summary>Reads materialized columns of a group: g x n floats, neuron-major.</summary>
    public float[] ReadActivationColumns(MaterializationRecord materialization, ReadOnlySpan<int> neurons)
    {
        int n = (int)materialization.Inputs;
        var keys = new byte[neurons.Length][];
        for (int j = 0; j < neurons.Length; j++)
        {
            keys[j] = StoreLayout.NeuronKey(materialization.Generation, neurons[j]);
        }

        byte[][] rows = MultiGet(keys, StoreLayout.Activations);
        var columns = new float[(long)neurons.Length * n];
        for (int j = 0; j < neurons.Length; j++)
        {
            MemoryMarshal.Cast<byte, float>(rows[j]).CopyTo(columns.AsSpan(j * n, n));
        }

        return columns;
    }

    private byte[][] MultiGet(byte[][] keys, string family)
    {
        byte[]?[] values = _reads.MultiGet(keys, Cf(family));
        var rows = new byte[keys.Length][];
        for (int i = 0; i < keys.Length; i++)
        {
            rows[i] = values[i] ?? throw DeepEverestException.Precondition(IsSnapshot
                ? $"Index data is missing from column family '{family}': the store is damaged; delete and rebuild the index."
                : $"Index data is missing from column family '{family}': the index was replaced or deleted after its record was read; read both through one snapshot.");
        }

        return rows;
    }
}
