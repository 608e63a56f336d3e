using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// How a secondary instance follows the primary: it catches up (<see cref="CatchUp"/>) and pins
/// the result as the generation new snapshots read (<see cref="Acquire"/>). Snapshots taken before
/// keep reading their own generation, so readers never wait for a catch-up and a catch-up never
/// waits for readers. Thread-safe.
/// </summary>
internal sealed class SecondaryFollower
{
    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle[] _families;
    private readonly string _dataRoot;
    private readonly Lock _followLock = new();
    private PinnedReads? _generation;

    /// <summary>Pins the state the secondary opened on, known to include publication <paramref name="epoch"/>.</summary>
    public SecondaryFollower(RocksDb db, IEnumerable<ColumnFamilyHandle> families, string dataRoot, ulong epoch)
    {
        _db = db;
        _families = [.. families];
        _dataRoot = dataRoot;
        _generation = new PinnedReads(db, _families, epoch);
    }

    /// <summary>The publication epoch the current generation includes (0 once released).</summary>
    public ulong Epoch => Volatile.Read(ref _generation)?.Epoch ?? 0;

    /// <summary>
    /// One more reference to the current generation, after catching up first if the primary has
    /// published since (<see cref="PublicationEpoch"/>): a snapshot taken after a publication
    /// returned includes it. The caller releases it.
    /// </summary>
    public PinnedReads Acquire()
    {
        ulong published = PublicationEpoch.Read(_dataRoot);
        if (published > Volatile.Read(ref _generation)!.Epoch)
        {
            lock (_followLock)
            {
                if (published > _generation!.Epoch)
                {
                    FollowPrimary();
                }
            }
        }

        while (true)
        {
            PinnedReads generation = Volatile.Read(ref _generation) ?? throw new ObjectDisposedException(nameof(StoreReader));
            if (generation.TryAddReference())
            {
                return generation;
            }

            // Replaced and freed between the read and the reference: take the new one.
        }
    }

    /// <summary>Applies what the primary wrote since the last call (a few ms) and pins the result.</summary>
    public void CatchUp()
    {
        lock (_followLock)
        {
            ObjectDisposedException.ThrowIf(_generation is null, typeof(StoreReader));
            FollowPrimary();
        }
    }

    /// <summary>Drops the follower's reference to its generation (before the database closes).</summary>
    public void Release()
    {
        lock (_followLock)
        {
            _generation?.Release();
            _generation = null;
        }
    }

    /// <summary>Catches up and swaps in a new generation; the caller holds <see cref="_followLock"/>.</summary>
    private void FollowPrimary()
    {
        // Read before catching up: everything published up to this epoch was durable when it was
        // written, so the catch-up below includes it.
        ulong epoch = PublicationEpoch.Read(_dataRoot);
        _db.TryCatchUpWithPrimary();
        PinnedReads old = _generation!;
        var next = new PinnedReads(_db, _families, Math.Max(epoch, old.Epoch));
        Volatile.Write(ref _generation, next);
        old.Release();
    }
}
