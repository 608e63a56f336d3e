using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>Visits one key-value pair of a scan; returns false to stop the scan.</summary>
internal delegate bool ScanVisitor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

/// <summary>
/// How a <see cref="StoreReader"/> instance reads: the latest state, a RocksDB snapshot of
/// the primary (<see cref="DirectReads"/>), or a pinned generation of a secondary
/// (<see cref="PinnedReads"/>). Views of one snapshot share it: it is reference-counted, and the
/// last release frees what it pins.
/// </summary>
internal abstract class StoreReads
{
    private int _references = 1;

    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    public abstract byte[]? Get(byte[] key, ColumnFamilyHandle family);

    /// <summary>The values under <paramref name="keys"/> (null where absent), in key order.</summary>
    public abstract byte[]?[] MultiGet(byte[][] keys, ColumnFamilyHandle family);

    /// <summary>Visits the pairs with keys in [<paramref name="start"/>, <paramref name="end"/>) in order.</summary>
    public abstract void Scan(ColumnFamilyHandle family, byte[] start, byte[] end, ScanVisitor visit);

    /// <summary>Takes one more reference; false when the last one is already gone (freed).</summary>
    public bool TryAddReference()
    {
        int current = Volatile.Read(ref _references);
        while (current > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops one reference; the last frees what the snapshot pins.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Free();
        }
    }

    /// <summary>Frees what the snapshot pins; called once, by the last <see cref="Release"/>.</summary>
    protected virtual void Free()
    {
    }
}
