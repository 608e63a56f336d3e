using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

public sealed partial class DeepEverestStore
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

    /// <summary>
    /// Registers a model: its bytes go to <c>models/&lt;sha256&gt;.onnx</c> (written to a temporary
    /// file and renamed, so a crash never leaves a half file under that name), then the record,
    /// with a fresh version stamp. Replacing a model by another file is refused
    /// (FailedPrecondition) while indexes or materializations were built from it.
    /// </summary>
    public void PutModel(ModelRecord record, byte[] bytes)
    {
        EnsureWritable();
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
