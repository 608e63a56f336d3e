using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// The RocksDB store shared by both services (layout: <see cref="StoreLayout"/>). The IndexService
/// opens it as the primary (the only writer); the QueryService opens a secondary instance that
/// follows the primary (<see cref="CatchUp"/>) and never takes the writer's lock.
/// <para>
/// Reads on an opened store see its latest state. <see cref="Snapshot"/> returns a read-only view
/// of one consistent state that later writes (on the primary) or catch-ups (on a secondary) never
/// change: queries and builds read through one, so a concurrent rebuild, delete or replacement
/// never shows them a mix. Thread-safe.
/// </para>
/// </summary>
public sealed partial class DeepEverestStore : IDisposable
{
    /// <summary>Info LOG files RocksDB keeps (one more per restart otherwise) and the size each may reach.</summary>
    private const ulong KeepLogFiles = 4;
    private const ulong MaxLogFileBytes = 16 << 20;

    /// <summary>
    /// Total WAL size beyond which RocksDB flushes the column family holding the oldest WAL: bounds
    /// what a restart replays (bulk rows bypass the WAL anyway, see <see cref="_bulkWrite"/>).
    /// </summary>
    private const ulong MaxTotalWalBytes = 64 << 20;

    private readonly RocksDb _db;
    private readonly Dictionary<string, ColumnFamilyHandle> _families;
    private readonly StoreReads _reads;
    private readonly DeepEverestStore _root;
    private readonly Lock _sequenceLock = new();
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);

    /// <summary>
    /// Bulk rows (inputs, index rows, materialized columns) skip the WAL: until published they are
    /// garbage after a crash anyway, and publication flushes them to SST files first
    /// (<see cref="FlushFamilies"/>), so a restart never replays gigabytes of WAL.
    /// </summary>
    private readonly WriteOptions _bulkWrite = new WriteOptions().SetSync(false).DisableWal(1);
    private readonly OwnedDirectory? _secondaryDirectory;
    private int _disposed;

    private DeepEverestStore(RocksDb db, string dataRoot, OwnedDirectory? secondaryDirectory)
    {
        _db = db;
        _root = this;
        DataRoot = dataRoot;
        IsSecondary = secondaryDirectory is not null;
        IsReadOnly = IsSecondary;
        _secondaryDirectory = secondaryDirectory;
        _reads = new DirectReads(db, snapshot: null);
        _families = [];
        foreach (string name in StoreLayout.ColumnFamilies)
        {
            _families[name] = db.GetColumnFamily(name);
        }
    }

    /// <summary>A read-only view of <paramref name="root"/> through <paramref name="reads"/> (one reference of it).</summary>
    private DeepEverestStore(DeepEverestStore root, StoreReads reads)
    {
        _db = root._db;
        _root = root;
        _families = root._families;
        _reads = reads;
        DataRoot = root.DataRoot;
        IsSecondary = root.IsSecondary;
        IsReadOnly = true;
        IsSnapshot = true;
    }

    /// <summary>The data root: the store lives in <c>store/</c> below it, model files in <c>models/</c>.</summary>
    public string DataRoot { get; }

    /// <summary>True for a secondary instance and for snapshots: they cannot write.</summary>
    public bool IsReadOnly { get; }

    /// <summary>True for a secondary instance (and its snapshots).</summary>
    public bool IsSecondary { get; }

    /// <summary>True for a view returned by <see cref="Snapshot"/>.</summary>
    public bool IsSnapshot { get; }

    /// <summary>Directory of the RocksDB database.</summary>
    public static string StorePath(string dataRoot) => Path.Combine(dataRoot, "store");

    /// <summary>
    /// Opens (creating if needed) the store as its single writer. Records written by versions
    /// before content stamps get theirs here (<see cref="StampLegacyRecords"/>).
    /// </summary>
    public static DeepEverestStore OpenPrimary(string dataRoot)
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

        var store = new DeepEverestStore(db, dataRoot, secondaryDirectory: null);
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

    /// <summary>
    /// Opens a secondary instance, which reads what the primary had written when it last caught
    /// up. Its own files go to a directory under the system temporary directory that this process
    /// locks; directories left there by secondaries whose process died are removed first. The
    /// primary must have created the store.
    /// </summary>
    public static DeepEverestStore OpenSecondary(string dataRoot)
    {
        string path = StorePath(dataRoot);
        if (!File.Exists(Path.Combine(path, "CURRENT")))
        {
            throw DeepEverestException.Precondition($"No store at {path}: start the IndexService on the same data root first.");
        }

        OwnedDirectory.Sweep(SecondaryParent, "");
        OwnedDirectory directory = OwnedDirectory.Create(SecondaryParent, $"secondary-{Environment.ProcessId}-");
        DeepEverestStore? store = null;
        try
        {
            ulong epoch = PublicationEpoch.Read(dataRoot);
            RocksDb db = RocksDb.OpenAsSecondary(CommonOptions(), path, directory.FullPath, Families());
            store = new DeepEverestStore(db, dataRoot, directory);
            store._generation = new PinnedReads(db, store._families.Values, epoch);
            return store;
        }
        catch
        {
            if (store is not null)
            {
                store.Dispose();
            }
            else
            {
                directory.Dispose();
            }

            throw;
        }
    }

    /// <summary>Parent of the secondary instances' own directories.</summary>
    internal static string SecondaryParent => Path.Combine(Path.GetTempPath(), "deepeverest-secondary");

    private static DbOptions CommonOptions() => new DbOptions()
        .SetMaxOpenFiles(-1)
        .SetKeepLogFileNum(KeepLogFiles)
        .SetMaxLogFileSize(MaxLogFileBytes);

    private static ColumnFamilies Families()
    {
        var families = new ColumnFamilies();
        foreach (string name in StoreLayout.ColumnFamilies)
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        return families;
    }

    private ColumnFamilyHandle Cf(string name) => _families[name];

    private void EnsureWritable()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException(IsSnapshot ? "A store snapshot is read-only." : "This store instance is read-only (secondary).");
        }
    }

    private T? GetRecord<T>(byte[] key, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        byte[]? value = _reads.Get(key, Cf(StoreLayout.Meta));
        return value is null ? null : parser.ParseFrom(value);
    }

    private List<T> ListRecords<T>(string prefix, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        var result = new List<T>();
        byte[] start = Encoding.UTF8.GetBytes(prefix);
        byte[] end = Encoding.UTF8.GetBytes(prefix[..^1] + (char)(prefix[^1] + 1));
        _reads.Scan(Cf(StoreLayout.Meta), start, end, (_, value) =>
        {
            result.Add(parser.ParseFrom(value));
            return true;
        });
        return result;
    }

    /// <summary>
    /// Free space a bulk write leaves for RocksDB's own files (WAL, MANIFEST, LOG, compaction
    /// output): running out mid-flush stops every write until space comes back.
    /// </summary>
    internal const long DiskReserveBytes = 16 << 20;

    /// <summary>Writes a batch; a full disk surfaces as RESOURCE_EXHAUSTED.</summary>
    private void Write(WriteBatch batch, bool sync)
    {
        try
        {
            _db.Write(batch, sync ? _syncWrite : _bulkWrite);
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
        foreach (ColumnFamilyHandle family in _families.Values)
        {
            unflushed += long.TryParse(_db.GetProperty("rocksdb.cur-size-all-mem-tables", family), out long m) ? m : 0;
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
                Native.Instance.rocksdb_flush_cf(_db.Handle, options.Handle, Cf(family).Handle);
            }
        }
        catch (RocksDbException e) when (DiskFull.Matches(e))
        {
            throw DiskFull.Failure("the rows written could not be saved", e);
        }
    }

    /// <summary>Hands out a fresh generation number (primary only), durable before it is used.</summary>
    private ulong NextGeneration()
    {
        EnsureWritable();
        lock (_sequenceLock)
        {
            byte[]? value = _db.Get(StoreLayout.GenerationSequenceKey, Cf(StoreLayout.Meta));
            ulong next = (value is null ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(value)) + 1;
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, next);
            using var batch = new WriteBatch();
            batch.Put(StoreLayout.GenerationSequenceKey, bytes, Cf(StoreLayout.Meta));
            Write(batch, sync: true);
            return next;
        }
    }

    private static readonly string[] _generationFamilies = [StoreLayout.Codes, StoreLayout.Bounds, StoreLayout.Mai, StoreLayout.Activations];

    private void DeleteGeneration(WriteBatch batch, ulong generation)
    {
        byte[] start = StoreLayout.GenerationStart(generation);
        byte[] end = StoreLayout.GenerationEnd(generation);
        foreach (string family in _generationFamilies)
        {
            batch.DeleteRange(start, (ulong)start.Length, end, (ulong)end.Length, Cf(family));
        }
    }

    /// <summary>Approximate on-disk bytes (SST files and memtables) of the whole store.</summary>
    public long ApproximateDiskBytes()
    {
        long total = 0;
        foreach (string family in StoreLayout.ColumnFamilies)
        {
            string? sst = _db.GetProperty("rocksdb.total-sst-files-size", Cf(family));
            string? mem = _db.GetProperty("rocksdb.cur-size-all-mem-tables", Cf(family));
            total += long.TryParse(sst, out long s) ? s : 0;
            total += long.TryParse(mem, out long m) ? m : 0;
        }

        return total;
    }

    /// <summary>
    /// Closes the store; on a snapshot, releases it (the store stays open). Dispose every snapshot
    /// before the store it was taken from.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (IsSnapshot)
        {
            _reads.Release();
            return;
        }

        lock (_followLock)
        {
            _generation?.Release();
            _generation = null;
        }

        _db.Dispose();
        _secondaryDirectory?.Dispose();
    }
}
