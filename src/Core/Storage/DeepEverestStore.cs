using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// The RocksDB store shared by both services (layout: <see cref="StoreLayout"/>). The IndexService
/// opens it as the primary (the only writer); the QueryService opens a secondary instance that
/// follows the primary with <see cref="CatchUp"/> and never takes the writer's lock.
/// Thread-safe.
/// </summary>
public sealed partial class DeepEverestStore : IDisposable
{
    private readonly RocksDb _db;
    private readonly Dictionary<string, ColumnFamilyHandle> _families = [];
    private readonly ReaderWriterLockSlim _catchUpLock = new();
    private readonly Lock _sequenceLock = new();
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private readonly WriteOptions _asyncWrite = new WriteOptions().SetSync(false);
    private readonly string? _secondaryPath;

    private DeepEverestStore(RocksDb db, string dataRoot, bool readOnly, string? secondaryPath)
    {
        _db = db;
        DataRoot = dataRoot;
        IsReadOnly = readOnly;
        _secondaryPath = secondaryPath;
        foreach (string name in StoreLayout.ColumnFamilies)
        {
            _families[name] = db.GetColumnFamily(name);
        }
    }

    /// <summary>The data root: the store lives in <c>store/</c> below it, model files in <c>models/</c>.</summary>
    public string DataRoot { get; }

    /// <summary>True for a secondary (read-only) instance.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Directory of the RocksDB database.</summary>
    public static string StorePath(string dataRoot) => Path.Combine(dataRoot, "store");

    /// <summary>Opens (creating if needed) the store as its single writer.</summary>
    public static DeepEverestStore OpenPrimary(string dataRoot)
    {
        Directory.CreateDirectory(dataRoot);
        Directory.CreateDirectory(Path.Combine(dataRoot, "models"));
        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            .SetMaxOpenFiles(-1);
        try
        {
            var db = RocksDb.Open(options, StorePath(dataRoot), Families());
            return new DeepEverestStore(db, dataRoot, readOnly: false, secondaryPath: null);
        }
        catch (RocksDbException e) when (e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            throw DeepEverestException.Precondition(
                $"The store at {StorePath(dataRoot)} is already open for writing by another process (is an IndexService running?): {e.Message}");
        }
    }

    /// <summary>
    /// Opens a secondary instance that reads what the primary has written up to the last
    /// <see cref="CatchUp"/>. The primary must have created the store.
    /// </summary>
    public static DeepEverestStore OpenSecondary(string dataRoot)
    {
        string path = StorePath(dataRoot);
        if (!File.Exists(Path.Combine(path, "CURRENT")))
        {
            throw DeepEverestException.Precondition($"No store at {path}: start the IndexService on the same data root first.");
        }

        string secondary = Path.Combine(Path.GetTempPath(), "deepeverest-secondary", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(secondary);
        var options = new DbOptions().SetMaxOpenFiles(-1);
        var db = RocksDb.OpenAsSecondary(options, path, secondary, Families());
        return new DeepEverestStore(db, dataRoot, readOnly: true, secondaryPath: secondary);
    }

    private static ColumnFamilies Families()
    {
        var families = new ColumnFamilies();
        foreach (string name in StoreLayout.ColumnFamilies)
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        return families;
    }

    /// <summary>
    /// For a secondary instance: applies what the primary wrote since the last call (a few ms).
    /// Readers of index data hold the read side of a lock, so a catch-up never lands between two
    /// reads of one query's index rows. No-op on the primary.
    /// </summary>
    public void CatchUp()
    {
        if (!IsReadOnly)
        {
            return;
        }

        _catchUpLock.EnterWriteLock();
        try
        {
            _db.TryCatchUpWithPrimary();
        }
        finally
        {
            _catchUpLock.ExitWriteLock();
        }
    }

    /// <summary>Runs <paramref name="read"/> with no catch-up in between its reads.</summary>
    public T ReadConsistent<T>(Func<T> read)
    {
        _catchUpLock.EnterReadLock();
        try
        {
            return read();
        }
        finally
        {
            _catchUpLock.ExitReadLock();
        }
    }

    private ColumnFamilyHandle Cf(string name) => _families[name];

    private void EnsureWritable()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException("This store instance is read-only (secondary).");
        }
    }

    private T? GetRecord<T>(byte[] key, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        byte[]? value = _db.Get(key, Cf(StoreLayout.Meta));
        return value is null ? null : parser.ParseFrom(value);
    }

    private List<T> ListRecords<T>(string prefix, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        var result = new List<T>();
        byte[] start = Encoding.UTF8.GetBytes(prefix);
        byte[] end = Encoding.UTF8.GetBytes(prefix[..^1] + (char)(prefix[^1] + 1));
        var readOptions = new ReadOptions().SetIterateUpperBound(end);
        using Iterator it = _db.NewIterator(Cf(StoreLayout.Meta), readOptions);
        for (it.Seek(start); it.Valid(); it.Next())
        {
            result.Add(parser.ParseFrom(it.Value()));
        }

        return result;
    }

    private void Write(WriteBatch batch, bool sync) => _db.Write(batch, sync ? _syncWrite : _asyncWrite);

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
            _db.Put(StoreLayout.GenerationSequenceKey, bytes, Cf(StoreLayout.Meta), _syncWrite);
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

    /// <inheritdoc />
    public void Dispose()
    {
        _db.Dispose();
        _catchUpLock.Dispose();
        if (_secondaryPath is not null)
        {
            try
            {
                Directory.Delete(_secondaryPath, recursive: true);
            }
            catch (IOException)
            {
                // A leftover secondary directory in /tmp is harmless.
            }
        }
    }
}
