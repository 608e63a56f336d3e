using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// One generation of a secondary instance: an iterator per column family, all created right after
/// the same catch-up with the primary and before the next, so together they pin one consistent
/// state (RocksDB refuses snapshots on a secondary, but an iterator keeps the super-version it was
/// created on: memtables, SST files — held open, so readable even after the primary deletes them
/// — and the last sequence number). Later catch-ups never change what it reads. Point reads are
/// seeks; reads take turns on a lock because an iterator is not thread-safe.
/// </summary>
internal sealed class PinnedReads : StoreReads
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ColumnFamilyHandle, Iterator> _iterators = [];

    /// <summary>Pins the current state of <paramref name="families"/>; the caller excludes catch-ups meanwhile.</summary>
    public PinnedReads(RocksDb db, IEnumerable<ColumnFamilyHandle> families, ulong epoch)
    {
        Epoch = epoch;
        foreach (ColumnFamilyHandle family in families)
        {
            _iterators[family] = db.NewIterator(family, new ReadOptions());
        }
    }

    /// <summary>The publication epoch of the primary this generation is known to include.</summary>
    public ulong Epoch { get; }

    /// <inheritdoc />
    public override byte[]? Get(byte[] key, ColumnFamilyHandle family)
    {
        lock (_gate)
        {
            return Seek(_iterators[family], key);
        }
    }

    /// <inheritdoc />
    public override byte[]?[] MultiGet(byte[][] keys, ColumnFamilyHandle family)
    {
        var values = new byte[]?[keys.Length];
        lock (_gate)
        {
            Iterator it = _iterators[family];
            for (int i = 0; i < keys.Length; i++)
            {
                values[i] = Seek(it, keys[i]);
            }
        }

        return values;
    }

    /// <inheritdoc />
    public override void Scan(ColumnFamilyHandle family, byte[] start, byte[] end, ScanVisitor visit)
    {
        lock (_gate)
        {
            Iterator it = _iterators[family];
            for (it.Seek(start); it.Valid(); it.Next())
            {
                ReadOnlySpan<byte> key = it.GetKeySpan();
                if (key.SequenceCompareTo(end) >= 0 || !visit(key, it.GetValueSpan()))
                {
                    return;
                }
            }

            Native.Instance.rocksdb_iter_get_error(it.Handle);
        }
    }

    /// <inheritdoc />
    protected override void Free()
    {
        lock (_gate)
        {
            foreach (Iterator it in _iterators.Values)
            {
                it.Dispose();
            }
        }
    }

    private static byte[]? Seek(Iterator it, byte[] key)
    {
        it.Seek(key);
        if (!it.Valid())
        {
            // Past the last key, or a failed read: only the latter is an error.
            Native.Instance.rocksdb_iter_get_error(it.Handle);
            return null;
        }

        return it.GetKeySpan().SequenceEqual(key) ? it.Value() : null;
    }
}
