using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

public sealed partial class DeepEverestStore
{
    /// <summary>Element type codes of stored inputs (deepeverest.v1.ElementType numbering).</summary>
    public const int ElementUInt8 = 1;

    /// <summary>Float32 elements.</summary>
    public const int ElementFloat32 = 2;

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
        return value is null ? null : MemoryMarshal.Cast<byte, int>(value).ToArray();
    }

    /// <summary>
    /// Starts writing a dataset. Its inputs go under a fresh dataset id; the record (and labels)
    /// become visible only in <see cref="DatasetWriter.Commit"/>, so a failed import leaves nothing
    /// visible, and a replaced dataset stays readable until then. The shape is checked before
    /// anything is written (see <see cref="CheckInputShape"/>). Replacing a dataset that indexes
    /// or materializations were built from is refused here (FailedPrecondition) and again at commit.
    /// </summary>
    public DatasetWriter BeginDataset(string name, long[] inputShape, int elementType, float scale, float shift, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        EnsureWritable();
        StoreLayout.ValidateName(name, "dataset");
        CheckInputShape(inputShape);
        if (GetDataset(name) is not null)
        {
            CheckNothingBuiltOn("Dataset", name, i => i.Dataset, m => m.Dataset);
        }

        var record = new DatasetRecord
        {
            Name = name,
            ElementType = elementType,
            Scale = scale == 0 ? 1 : scale,
            Shift = shift,
            CreatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        record.InputShape.AddRange(inputShape);
        record.Mean.AddRange(mean ?? []);
        record.Std.AddRange(std ?? []);
        lock (_sequenceLock)
        {
            byte[]? value = _db.Get(StoreLayout.DatasetSequenceKey, Cf(StoreLayout.Meta));
            record.Id = (value is null ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(value)) + 1;
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, record.Id);
            using var batch = new WriteBatch();
            batch.Put(StoreLayout.DatasetSequenceKey, bytes, Cf(StoreLayout.Meta));
            var pending = new PendingBuild { Generation = record.Id, What = "dataset", StartedUnixMs = record.CreatedUnixMs };
            batch.Put(StoreLayout.PendingKey(DatasetPendingTag | record.Id), pending.ToByteArray(), Cf(StoreLayout.Meta));
            Write(batch, sync: true);
        }

        return new DatasetWriter(this, record);
    }

    /// <summary>Most elements one input may hold: 2^26 (256 MiB as float32).</summary>
    public const long MaxInputElements = 1L << 26;

    /// <summary>
    /// Refuses (InvalidArgument naming <c>input_shape</c>) a shape with a dimension below 1 or more
    /// than <see cref="MaxInputElements"/> elements, its product computed without overflow.
    /// </summary>
    public static void CheckInputShape(IReadOnlyList<long> inputShape)
    {
        if (inputShape.Count == 0 || inputShape.Any(d => d < 1))
        {
            throw DeepEverestException.Invalid($"input_shape [{string.Join(", ", inputShape)}] must have at least one dimension, each at least 1.");
        }

        long elements = 1;
        foreach (long dim in inputShape)
        {
            // Dividing first keeps the product from overflowing.
            if (dim > MaxInputElements / elements)
            {
                throw DeepEverestException.Invalid(
                    $"input_shape [{string.Join(", ", inputShape)}] holds more than {MaxInputElements} elements per input (the most one input may hold).");
            }

            elements *= dim;
        }
    }

    // Pending markers of dataset imports are tagged in the top bit so they never collide with
    // index generations.
    private const ulong DatasetPendingTag = 1UL << 63;

    internal void WriteInputs(uint datasetId, int firstId, ReadOnlySpan<byte> inputs, int inputBytes)
    {
        using var batch = new WriteBatch();
        int count = inputs.Length / inputBytes;
        for (int i = 0; i < count; i++)
        {
            batch.Put(StoreLayout.InputKey(datasetId, firstId + i), inputs.Slice(i * inputBytes, inputBytes), Cf(StoreLayout.Inputs));
        }

        WriteBulk(batch, inputs.Length + count * 8L);
    }

    /// <summary>
    /// Publishes a dataset in one synced batch — record with a fresh version stamp, labels, the
    /// pending marker's removal, the replaced dataset's inputs — once its inputs (written without
    /// the WAL) are flushed. Refuses to replace a dataset something was built from meanwhile.
    /// </summary>
    internal void CommitDataset(DatasetRecord record, int[]? labels)
    {
        FlushFamilies(StoreLayout.Inputs);
        lock (_catalogLock)
        {
            CommitDatasetLocked(record, labels);
            SignalPublication();
        }
    }

    private void CommitDatasetLocked(DatasetRecord record, int[]? labels)
    {
        DatasetRecord? old = GetDataset(record.Name);
        if (old is not null)
        {
            CheckNothingBuiltOn("Dataset", record.Name, i => i.Dataset, m => m.Dataset);
        }

        using var batch = new WriteBatch();
        record.Version = NextVersion(batch);
        batch.Put(StoreLayout.DatasetKey(record.Name), record.ToByteArray(), Cf(StoreLayout.Meta));
        if (labels is not null)
        {
            batch.Put(StoreLayout.LabelsKey(record.Name), MemoryMarshal.AsBytes(labels.AsSpan()).ToArray(), Cf(StoreLayout.Meta));
        }
        else
        {
            batch.Delete(StoreLayout.LabelsKey(record.Name), Cf(StoreLayout.Meta));
        }

        batch.Delete(StoreLayout.PendingKey(DatasetPendingTag | record.Id), Cf(StoreLayout.Meta));
        if (old is not null)
        {
            DeleteInputs(batch, old.Id);
        }

        Write(batch, sync: true);
    }

    internal void AbortDataset(uint datasetId)
    {
        using var batch = new WriteBatch();
        DeleteInputs(batch, datasetId);
        batch.Delete(StoreLayout.PendingKey(DatasetPendingTag | datasetId), Cf(StoreLayout.Meta));
        Write(batch, sync: true);
    }

    /// <summary>Pending-work markers (builds and imports not yet published), for tests and diagnostics.</summary>
    internal IReadOnlyList<PendingBuild> ListPending() => ListRecords(StoreLayout.PendingPrefix, PendingBuild.Parser);

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

    private void DeleteInputs(WriteBatch batch, uint datasetId)
    {
        byte[] start = StoreLayout.InputKey(datasetId, 0);
        byte[] end = StoreLayout.InputRangeEnd(datasetId);
        batch.DeleteRange(start, (ulong)start.Length, end, (ulong)end.Length, Cf(StoreLayout.Inputs));
    }

    /// <summary>Number of elements of one input.</summary>
    public static int InputElements(DatasetRecord dataset) => checked((int)dataset.InputShape.Aggregate(1L, (a, b) => a * b));

    /// <summary>Bytes of one stored input.</summary>
    public static int InputBytes(DatasetRecord dataset) =>
        InputElements(dataset) * (dataset.ElementType == ElementUInt8 ? 1 : 4);

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

    /// <summary>Converts stored bytes to model input with the dataset's preprocessing (<see cref="InputPreprocessing.Decode"/>).</summary>
    public static void Decode(DatasetRecord dataset, ReadOnlySpan<byte> raw, Span<float> destination) =>
        InputPreprocessing.Decode(dataset, raw, destination);
}
