using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// The store's primary: its single writer, opened by the IndexService (and by tools that build
/// stores). It imports datasets, registers models, writes and publishes index builds, deletes,
/// and stamps versions; as a <see cref="StoreReader"/> it also reads the latest state, and its
/// <see cref="StoreReader.Snapshot"/> views are readers only. Thread-safe.
/// </summary>
public sealed partial class StoreWriter : StoreReader
{
    /// <summary>
    /// Free space a bulk write leaves for RocksDB's own files (WAL, MANIFEST, LOG, compaction
    /// output): running out mid-flush stops every write until space comes back.
    /// </summary>
    internal const long DiskReserveBytes = 16 << 20;

    /// <summary>
    /// Total WAL size beyond which RocksDB flushes the column family holding the oldest WAL: bounds
    /// what a restart replays (bulk rows bypass the WAL anyway, see <see cref="_bulkWrite"/>).
    /// </summary>
    private const ulong MaxTotalWalBytes = 64 << 20;

    private static readonly string[] _generationFamilies = [StoreLayout.Codes, StoreLayout.Bounds, StoreLayout.Mai, StoreLayout.Activations];

    private readonly Lock _sequenceLock = new();
    private readonly Lock _epochLock = new();
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);

    /// <summary>
    /// Bulk rows (inputs, index rows, materialized columns) skip the WAL: until published they are
    /// garbage after a crash anyway, and publication flushes them to SST files first
    /// (<see cref="FlushFamilies"/>), so a restart never replays gigabytes of WAL.
    /// </summary>
    private readonly WriteOptions _bulkWrite = new WriteOptions().SetSync(false).DisableWal(1);
    private ulong _signalledEpoch;

    private StoreWriter(RocksDb db, string dataRoot)
        : base(db, dataRoot)
    {
    }

    /// <summary>
    /// Opens (creating if needed) the store as its single writer. Records written by versions
    /// before content stamps get theirs here (<see cref="StampLegacyRecords"/>). A second writer
    /// (another IndexService on the same data root) is refused (FailedPrecondition).
    /// </summary>
    public static StoreWriter OpenPrimary(string dataRoot)
    {
        Directory.CreateDirectory(dataRoot);
        Directory.CreateDirectory(Path.Combine(dataRoot, "models"));
        DbOptions options = CommonOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true);
        Native.Instance.rocksdb_options_set_max_total_wal_size(options.Handle, MaxTotalWalBytes);
        RocksDb db;
        try
        {
            db = RocksDb.Open(options, StorePath(dataRoot), Families());
        }
        catch (RocksDbException e) when (e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            throw DeepEverestException.Precondition(
                $"The store at {StorePath(dataRoot)} is already open for writing by another process (is an IndexService running?): {e.Message}");
        }

        var store = new StoreWriter(db, dataRoot);
        try
        {
            store.StampLegacyRecords();
            store.SignalPublication();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Writes a record as it is, bypassing every check: tests build stores as older versions wrote them.</summary>
    internal void WriteRecordForTests(byte[] key, IMessage record)
    {
        using var batch = new WriteBatch();
        batch.Put(key, record.ToByteArray(), Cf(StoreLayout.Meta));
        Write(batch, sync: true);
    }

    /// <summary>Compacts every column family, so files holding deleted rows really go (tests).</summary>
    internal void CompactForTests()
    {
        foreach (ColumnFamilyHandle family in FamilyHandles)
        {
            Db.CompactRange((byte[]?)null, null, family);
        }
    }

    /// <summary>Writes a batch; a full disk surfaces as RESOURCE_EXHAUSTED.</summary>
    private void Write(WriteBatch batch, bool sync)
    {
        try
        {
            Db.Write(batch, sync ? _syncWrite : _bulkWrite);
        }
        catch (RocksDbException e) when (DiskFull.Matches(e))
        {
            throw DiskFull.Failure("the store could not save the change", e);
        }
    }

    /// <summary>
    /// Writes a batch of bulk rows (<paramref name="bytes"/> of keys and values) without the WAL,
    /// first checking that the store's volume has room for them, for what waits in memtables to be
    /// flushed, and a reserve: a build or import stops with RESOURCE_EXHAUSTED before RocksDB
    /// itself runs out of space.
    /// </summary>
    private void WriteBulk(WriteBatch batch, long bytes)
    {
        long unflushed = 0;
        foreach (ColumnFamilyHandle family in FamilyHandles)
        {
            unflushed += long.TryParse(Db.GetProperty("rocksdb.cur-size-all-mem-tables", family), out long m) ? m : 0;
        }

        DiskFull.RequireFree("the rows being written were not saved", (StorePath(DataRoot), bytes + unflushed + DiskReserveBytes));
        Write(batch, sync: false);
    }

    /// <summary>Writes what a bulk batch holds to SST files and waits: done before publishing rows written without the WAL.</summary>
    private void FlushFamilies(params string[] families)
    {
        var options = new FlushOptions().SetWaitForFlush(true);
        try
        {
            foreach (string family in families)
            {
                Native.Instance.rocksdb_flush_cf(Db.Handle, options.Handle, Cf(family).Handle);
            }
        }
        catch (RocksDbException e) when (DiskFull.Matches(e))
        {
            throw DiskFull.Failure("the rows written could not be saved", e);
        }
    }

    /// <summary>Hands out a fresh generation number, durable before it is used.</summary>
    private ulong NextGeneration()
    {
        lock (_sequenceLock)
        {
            ulong next = StoreLayout.DecodeU64(Db.Get(StoreLayout.GenerationSequenceKey, Cf(StoreLayout.Meta))) + 1;
            using var batch = new WriteBatch();
            batch.Put(StoreLayout.GenerationSequenceKey, StoreLayout.EncodeU64(next), Cf(StoreLayout.Meta));
            Write(batch, sync: true);
            return next;
        }
    }

    private void DeleteGeneration(WriteBatch batch, ulong generation)
    {
        byte[] start = StoreLayout.GenerationStart(generation);
        byte[] end = StoreLayout.GenerationEnd(generation);
        foreach (string family in _generationFamilies)
        {
            batch.DeleteRange(start, (ulong)start.Length, end, (ulong)end.Length, Cf(family));
        }
    }

    /// <summary>
    /// After a durable publishing write: tells secondaries there is something new to follow.
    /// Epochs only grow: across racing publications, across restarts (they continue from the
    /// file), and on a data root whose store was recreated. Never throws: what it signals is
    /// already published, and a secondary that misses the signal (the file could not be written,
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

                ulong epoch = Math.Max(_signalledEpoch + 1, Db.GetLatestSequenceNumber());
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
