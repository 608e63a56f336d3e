namespace DeepEverest.Core.Storage;

public sealed partial class DeepEverestStore
{
    private readonly Lock _followLock = new();
    private readonly Lock _epochLock = new();
    private PinnedReads? _generation;
    private ulong _signalledEpoch;

    /// <summary>
    /// A read-only view of one consistent state of the store, for everything one query or build
    /// reads: later writes, catch-ups, rebuilds and deletes never change what it returns. On the
    /// primary it is a RocksDB snapshot. On a secondary it is the generation the follower pinned
    /// last (see <see cref="CatchUp"/>), after catching up first if the primary has published
    /// since (<see cref="PublicationEpoch"/>): a snapshot taken after a publication returned
    /// includes it. Dispose it when done; it pins memtables and files until then.
    /// </summary>
    public DeepEverestStore Snapshot()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IsSnapshot)
        {
            return _reads.TryAddReference()
                ? new DeepEverestStore(_root, _reads)
                : throw new ObjectDisposedException(nameof(DeepEverestStore));
        }

        if (!IsSecondary)
        {
            return new DeepEverestStore(this, new DirectReads(_db, _db.CreateSnapshot()));
        }

        ulong published = PublicationEpoch.Read(DataRoot);
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
            PinnedReads generation = Volatile.Read(ref _generation) ?? throw new ObjectDisposedException(nameof(DeepEverestStore));
            if (generation.TryAddReference())
            {
                return new DeepEverestStore(this, generation);
            }

            // Replaced and freed between the read and the reference: take the new one.
        }
    }

    /// <summary>
    /// For a secondary: applies what the primary wrote since the last call (a few ms) and pins the
    /// result as the generation new snapshots read. Snapshots taken before keep reading their own
    /// generation, so readers never wait for a catch-up and a catch-up never waits for readers.
    /// The QueryService calls this periodically in the background. No-op on the primary.
    /// </summary>
    public void CatchUp()
    {
        if (!IsSecondary || IsSnapshot)
        {
            return;
        }

        lock (_followLock)
        {
            ObjectDisposedException.ThrowIf(_generation is null, this);
            FollowPrimary();
        }
    }

    /// <summary>The publication epoch the current generation of a secondary includes (0 on the primary).</summary>
    public ulong FollowedEpoch => Volatile.Read(ref _root._generation)?.Epoch ?? 0;

    /// <summary>Catches up and swaps in a new generation; the caller holds <see cref="_followLock"/>.</summary>
    private void FollowPrimary()
    {
        // Read before catching up: everything published up to this epoch was durable when it was
        // written, so the catch-up below includes it.
        ulong epoch = PublicationEpoch.Read(DataRoot);
        _db.TryCatchUpWithPrimary();
        PinnedReads old = _generation!;
        var next = new PinnedReads(_db, _families.Values, Math.Max(epoch, old.Epoch));
        Volatile.Write(ref _generation, next);
        old.Release();
    }

    /// <summary>
    /// On the primary, after a durable publishing write: tells secondaries there is something new
    /// to follow. Epochs only grow: across racing publications, across restarts (they continue
    /// from the file), and on a data root whose store was recreated. Never throws: what it signals
    /// is already published, and a secondary that misses the signal (the file could not be written,
    /// e.g. on a full disk) still follows within its background interval.
    /// </summary>
    private void SignalPublication()
    {
        lock (_epochLock)
        {
            try
            {
                if (_signalledEpoch == 0)
                {
                    _signalledEpoch = PublicationEpoch.Read(DataRoot);
                }

                ulong epoch = Math.Max(_signalledEpoch + 1, _db.GetLatestSequenceNumber());
                PublicationEpoch.Write(DataRoot, epoch);
                _signalledEpoch = epoch;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort, see above.
            }
        }
    }
}
