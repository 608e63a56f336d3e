using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Storage.Records;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>Bulk reads: dataset inputs, index rows, channel summaries, materialized columns.</summary>
public partial class StoreReader
{
    /// <summary>Number of elements of one input.</summary>
    public static int InputElements(DatasetRecord dataset) => checked((int)dataset.InputShape.Aggregate(1L, (a, b) => a * b));

    /// <summary>Bytes of one stored input.</summary>
    public static int InputBytes(DatasetRecord dataset) =>
        InputElements(dataset) * (dataset.ElementType == StoreLayout.ElementUInt8 ? 1 : 4);

    /// <summary>Converts stored bytes to model input with the dataset's preprocessing (<see cref="InputPreprocessing.Decode"/>).</summary>
    public static void Decode(DatasetRecord dataset, ReadOnlySpan<byte> raw, Span<float> destination) =>
        InputPreprocessing.Decode(dataset, raw, destination);

    /// <summary>One input's stored bytes, or a NotFound failure.</summary>
    public byte[] ReadRawInput(DatasetRecord dataset, long id)
    {
        if (id < 0 || id >= dataset.Count)
        {
            throw DeepEverestException.NotFound($"Input id {id} is out of range: dataset '{dataset.Name}' has ids 0..{dataset.Count - 1}.");
        }

        return _reads.Get(StoreLayout.InputKey(dataset.Id, (int)id), Cf(StoreLayout.Inputs))
            ?? throw DeepEverestException.NotFound($"Input {id} of dataset '{dataset.Name}' is missing from the store.");
    }

    /// <summary>
    /// Reads inputs by id as the model sees them (preprocessing applied, see <see cref="Decode"/>) into
    /// <paramref name="destination"/>: ids.Length x elements floats, row-major.
    /// </summary>
    public void ReadInputs(DatasetRecord dataset, ReadOnlySpan<int> ids, Span<float> destination)
    {
        int elements = InputElements(dataset);
        var keys = new byte[ids.Length][];
        for (int i = 0; i < ids.Length; i++)
        {
            keys[i] = StoreLayout.InputKey(dataset.Id, ids[i]);
        }

        byte[]?[] values = _reads.MultiGet(keys, Cf(StoreLayout.Inputs));
        for (int i = 0; i < ids.Length; i++)
        {
            byte[] raw = values[i] ?? throw DeepEverestException.NotFound($"Input {ids[i]} of dataset '{dataset.Name}' is missing from the store.");
            Decode(dataset, raw, destination.Slice(i * elements, elements));
        }
    }

    /// <summary>Reads the inputs with ids [start, start + count) like <see cref="ReadInputs"/>.</summary>
    public void ReadInputRange(DatasetRecord dataset, int start, int count, Span<float> destination)
    {
        int elements = InputElements(dataset);
        int inputBytes = InputBytes(dataset);
        byte[] end = StoreLayout.InputKey(dataset.Id, start + count);
        byte[] raw = ArrayPool<byte>.Shared.Rent(count * inputBytes);
        int i = 0;
        try
        {
            _reads.Scan(Cf(StoreLayout.Inputs), StoreLayout.InputKey(dataset.Id, start), end, (_, value) =>
            {
                value.CopyTo(raw.AsSpan(i * inputBytes, inputBytes));
                return ++i < count;
            });
            for (int j = 0; j < i; j++)
            {
                Decode(dataset, raw.AsSpan(j * inputBytes, inputBytes), destination.Slice(j * elements, elements));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }

        if (i != count)
        {
            throw DeepEverestException.Precondition($"Dataset '{dataset.Name}' is missing inputs in [{start}, {start + count}).");
        }
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
            StoreLayout.DecodeBoundsRow(boundRows[j], partMin.AsSpan(j * partitions, partitions), partMax.AsSpan(j * partitions, partitions));
            (maiIds[j], maiValues[j]) = StoreLayout.DecodeMaiRow(maiRows[j], c);
        }

        return new GroupIndexData(codes, partMin, partMax, maiIds, maiValues);
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
            if (row.Length != StoreLayout.SummaryRowBytes(n))
            {
                throw DeepEverestException.Precondition($"A channel summary row of the index has {row.Length} bytes, not {StoreLayout.SummaryRowBytes(n)}; rebuild the index.");
            }

            (result.SumRadius[s], result.SquareRadius[s], result.Sums[s], result.Squares[s]) = StoreLayout.DecodeSummaryRow(row, n);
        }

        return result;
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

    /// <summary>Rows in the inputs column family (every dataset's, published or not), for tests.</summary>
    internal long CountInputRows()
    {
        long rows = 0;
        using Iterator it = _db.NewIterator(Cf(StoreLayout.Inputs));
        for (it.SeekToFirst(); it.Valid(); it.Next())
        {
            rows++;
        }

        return rows;
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
