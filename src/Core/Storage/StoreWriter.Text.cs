using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>Writes of a text dataset's rows (docs/text.md).</summary>
public sealed partial class StoreWriter
{
    /// <summary>Writes rows of a dataset being imported (without the WAL, like inputs: the commit flushes them).</summary>
    internal void WriteDatasetRows(uint datasetId, IReadOnlyList<(int Key, byte[] Value)> rows)
    {
        using var batch = new WriteBatch();
        long bytes = 0;
        foreach ((int key, byte[] value) in rows)
        {
            batch.Put(StoreLayout.InputKey(datasetId, key), value, Cf(StoreLayout.Inputs));
            bytes += value.Length + 8;
        }

        WriteBulk(batch, bytes);
    }
}
