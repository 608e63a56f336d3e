using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>Catalog writes: model registration and dataset imports.</summary>
public sealed partial class StoreWriter
{
    /// <summary>Most elements one input may hold: 2^26 (256 MiB as float32).</summary>
    public const long MaxInputElements = 1L << 26;

    // Pending markers of dataset imports are tagged in the top bit so they never collide with
    // index generations.
    private const ulong DatasetPendingTag = 1UL << 63;

    /// <summary>
    /// Registers a model: its bytes go to <c>models/&lt;sha256&gt;.onnx</c> (written to a temporary
    /// file and renamed, so a crash never leaves a half file under that name), then the record,
    /// with a fresh version stamp. Replacing a model by another file is refused
    /// (FailedPrecondition) while indexes or materializations were built from it.
    /// </summary>
    public void PutModel(ModelRecord record, byte[] bytes)
    {
        StoreLayout.ValidateName(record.Name, "model");
        string path = Path.Combine(DataRoot, "models", record.File);
        if (!File.Exists(path))
        {
            string temp = path + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }

        lock (_catalogLock)
        {
            if (GetModel(record.Name) is { } old)
            {
                if (SameContents(old, record))
                {
                    // The same file and description: keeps its version, so what was built stays valid.
                    record.Version = old.Version;
                    return;
                }

                CheckNothingBuiltOn("Model", record.Name, i => i.Model, m => m.Model);
            }

            using var batch = new WriteBatch();
            record.Version = NextVersion(batch);
            batch.Put(StoreLayout.ModelKey(record.Name), record.ToByteArray(), Cf(StoreLayout.Meta));
            Write(batch, sync: true);
            SignalPublication();
        }
    }

    /// <summary>
    /// Starts writing a dataset. Its inputs go under a fresh dataset id; the record (and labels)
    /// become visible only in <see cref="DatasetWriter.Commit"/>, so a failed import leaves nothing
    /// visible, and a replaced dataset stays readable until then. The shape is checked before
    /// anything is written (see <see cref="CheckInputShape"/>). Replacing a dataset that indexes
    /// or materializations were built from is refused here (FailedPrecondition) and again at commit.
    /// <paramref name="elementType"/> is <see cref="StoreLayout.ElementUInt8"/> or
    /// <see cref="StoreLayout.ElementFloat32"/>.
    /// </summary>
    public DatasetWriter BeginDataset(string name, long[] inputShape, int elementType, float scale, float shift, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
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
            record.Id = StoreLayout.DecodeU32(Db.Get(StoreLayout.DatasetSequenceKey, Cf(StoreLayout.Meta))) + 1;
            using var batch = new WriteBatch();
            batch.Put(StoreLayout.DatasetSequenceKey, StoreLayout.EncodeU32(record.Id), Cf(StoreLayout.Meta));
            var pending = new PendingBuild { Generation = record.Id, What = "dataset", StartedUnixMs = record.CreatedUnixMs };
            batch.Put(StoreLayout.PendingKey(DatasetPendingTag | record.Id), pending.ToByteArray(), Cf(StoreLayout.Meta));
            Write(batch, sync: true);
        }

        return new DatasetWriter(this, record);
    }

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

    internal void AbortDataset(uint datasetId)
    {
        using var batch = new WriteBatch();
        DeleteInputs(batch, datasetId);
        batch.Delete(StoreLayout.PendingKey(DatasetPendingTag | datasetId), Cf(StoreLayout.Meta));
        Write(batch, sync: true);
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
            batch.Put(StoreLayout.LabelsKey(record.Name), StoreLayout.EncodeLabels(labels), Cf(StoreLayout.Meta));
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

    private void DeleteInputs(WriteBatch batch, uint datasetId)
    {
        byte[] start = StoreLayout.InputKey(datasetId, 0);
        byte[] end = StoreLayout.InputRangeEnd(datasetId);
        batch.DeleteRange(start, (ulong)start.Length, end, (ulong)end.Length, Cf(StoreLayout.Inputs));
    }

    /// <summary>Whether two model records describe the same model (their stamps and times aside).</summary>
    private static bool SameContents(ModelRecord a, ModelRecord b)
    {
        ModelRecord x = a.Clone();
        ModelRecord y = b.Clone();
        x.Version = y.Version = 0;
        x.CreatedUnixMs = y.CreatedUnixMs = 0;
        return x.Equals(y);
    }
}
