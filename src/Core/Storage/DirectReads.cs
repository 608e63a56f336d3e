using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// Reads straight from RocksDB: the latest state, or, given a snapshot (primary only: a secondary
/// refuses snapshots), the state at that snapshot. Thread-safe.
/// </summary>
internal sealed class DirectReads : StoreReads
{
    private readonly RocksDb _db;
    private readonly Snapshot? _snapshot;
    private readonly ReadOptions _options = new();

    /// <summary>Reads the latest state, or the state of <paramref name="snapshot"/>, which this object then owns.</summary>
    public DirectReads(RocksDb db, Snapshot? snapshot)
    {
        _db = db;
        _snapshot = snapshot;
        if (snapshot is not null)
        {
            _options.SetSnapshot(snapshot);
        }
    }

    /// <inheritdoc />
    public override byte[]? Get(byte[] key, ColumnFamilyHandle family) => _db.Get(key, family, _options);

    /// <inheritdoc />
    public override byte[]?[] MultiGet(byte[][] keys, ColumnFamilyHandle family)
    {
        var families = new ColumnFamilyHandle[keys.Length];
        Array.Fill(families, family);
        KeyValuePair<byte[], byte[]>[] pairs = _db.MultiGet(keys, families, _options);
        var values = new byte[]?[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            values[i] = pairs[i].Value;
        }

        return values;
    }

    /// <inheritdoc />
    public override void Scan(ColumnFamilyHandle family, byte[] start, byte[] end, ScanVisitor visit)
    {
        var options = new ReadOptions().SetIterateUpperBound(end);
        if (_snapshot is not null)
        {
            options.SetSnapshot(_snapshot);
        }

        using Iterator it = _db.NewIterator(family, options);
        try
        {
            for (it.Seek(start); it.Valid(); it.Next())
            {
                // The key check keeps the scan inside its range even if the native upper bound is
                // gone: ReadOptions frees it when collected, and nothing referenced options after
                // NewIterator (a ListModels under load once failed parsing a record as a model,
                // as a scan past "model/" into "pending/" or "seq/" would).
                ReadOnlySpan<byte> key = it.GetKeySpan();
                if (key.SequenceCompareTo(end) >= 0 || !visit(key, it.GetValueSpan()))
                {
                    return;
                }
            }

            Native.Instance.rocksdb_iter_get_error(it.Handle);
        }
        finally
        {
            GC.KeepAlive(options);
        }
    }

    /// <inheritdoc />
    protected override void Free() => _snapshot?.Dispose();
}
