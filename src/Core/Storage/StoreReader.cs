using System.Text;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>
/// Read access to the RocksDB store shared by both services (layout: <see cref="StoreLayout"/>):
/// catalog records, inputs, labels, index rows, summaries. It has no write methods: the
/// QueryService's secondary instance (<see cref="OpenSecondary"/>) and every
/// <see cref="Snapshot"/> are readers, so a write through them does not compile. The primary,
/// the only writer, is a <see cref="StoreWriter"/> (which also reads).
/// <para>
/// Reads on an opened store see its latest state (on a secondary: as of its last catch-up).
/// <see cref="Snapshot"/> returns a view of one consistent state that later writes (on the
/// primary) or catch-ups (on a secondary) never change: queries and builds read through one, so a
/// concurrent rebuild, delete or replacement never shows them a mix. Thread-safe.
/// </para>
/// </summary>
public partial class StoreReader : IDisposable
{
    /// <summary>Info LOG files RocksDB keeps (one more per restart otherwise) and the size each may reach.</summary>
    private const ulong KeepLogFiles = 4;
    private const ulong MaxLogFileBytes = 16 << 20;

    private readonly RocksDb _db;
    private readonly Dictionary<string, ColumnFamilyHandle> _families;
    private readonly StoreReads _reads;
    private readonly StoreReader _root;
    private readonly SecondaryFollower? _follower;
    private readonly OwnedDirectory? _secondaryDirectory;
    private int _disposed;

    /// <summary>The primary's reader of the latest state (the <see cref="StoreWriter"/> it is).</summary>
    private protected StoreReader(RocksDb db, string dataRoot)
        : this(db, dataRoot, secondaryDirectory: null, followFrom: null)
    {
    }

    private StoreReader(RocksDb db, string dataRoot, OwnedDirectory? secondaryDirectory, ulong? followFrom)
    {
        _db = db;
        _root = this;
        DataRoot = dataRoot;
        _secondaryDirectory = secondaryDirectory;
        _reads = new DirectReads(db, snapshot: null);
        _families = [];
        foreach (string name in StoreLayout.ColumnFamilies)
        {
            _families[name] = db.GetColumnFamily(name);
        }

        _follower = followFrom is { } epoch ? new SecondaryFollower(db, _families.Values, dataRoot, epoch) : null;
        IsSecondary = _follower is not null;
    }

    /// <summary>A view of <paramref name="root"/> through <paramref name="reads"/> (one reference of it).</summary>
    private StoreReader(StoreReader root, StoreReads reads)
    {
        _db = root._db;
        _root = root;
        _families = root._families;
        _follower = root._follower;
        _reads = reads;
        DataRoot = root.DataRoot;
        IsSecondary = root.IsSecondary;
        IsSnapshot = true;
    }

    /// <summary>The data root: the store lives in <c>store/</c> below it, model files in <c>models/</c>.</summary>
    public string DataRoot { get; }

    /// <summary>True for a secondary instance (and its snapshots).</summary>
    public bool IsSecondary { get; }

    /// <summary>True for a view returned by <see cref="Snapshot"/>.</summary>
    public bool IsSnapshot { get; }

    /// <summary>The publication epoch the current generation of a secondary includes (0 on the primary).</summary>
    public ulong FollowedEpoch => _follower?.Epoch ?? 0;

    /// <summary>Directory of the RocksDB database.</summary>
    public static string StorePath(string dataRoot) => Path.Combine(dataRoot, "store");

    /// <summary>This secondary instance's own directory under <see cref="SecondaryParent"/>; null on the primary and on snapshots.</summary>
    internal string? SecondaryDirectory => _secondaryDirectory?.FullPath;

    /// <summary>Parent of the secondary instances' own directories.</summary>
    internal static string SecondaryParent => Path.Combine(Path.GetTempPath(), "deepeverest-secondary");

    /// <summary>The open database (the writer writes through it).</summary>
    private protected RocksDb Db => _db;

    /// <summary>Every column family's handle.</summary>
    private protected IEnumerable<ColumnFamilyHandle> FamilyHandles => _families.Values;

    /// <summary>
    /// Opens a secondary instance, which reads what the primary had written when it last caught
    /// up. Its own files go to a directory under the system temporary directory that this process
    /// locks; directories left there by secondaries whose process died are removed first. The
    /// primary must have created the store.
    /// </summary>
    public static StoreReader OpenSecondary(string dataRoot)
    {
        string path = StorePath(dataRoot);
        if (!File.Exists(Path.Combine(path, "CURRENT")))
        {
            throw DeepEverestException.Precondition($"No store at {path}: start the IndexService on the same data root first.");
        }

        OwnedDirectory.Sweep(SecondaryParent, "");
        OwnedDirectory directory = OwnedDirectory.Create(SecondaryParent, $"secondary-{Environment.ProcessId}-");
        RocksDb? db = null;
        try
        {
            ulong epoch = PublicationEpoch.Read(dataRoot);
            db = RocksDb.OpenAsSecondary(CommonOptions(), path, directory.FullPath, Families());
            return new StoreReader(db, dataRoot, directory, epoch);
        }
        catch
        {
            db?.Dispose();
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A read-only view of one consistent state of the store, for everything one query or build
    /// reads: later writes, catch-ups, rebuilds and deletes never change what it returns. On the
    /// primary it is a RocksDB snapshot. On a secondary it is the generation the follower pinned
    /// last (see <see cref="CatchUp"/>), after catching up first if the primary has published
    /// since (<see cref="PublicationEpoch"/>): a snapshot taken after a publication returned
    /// includes it. Dispose it when done; it pins memtables and files until then.
    /// </summary>
    public StoreReader Snapshot()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IsSnapshot)
        {
            return _reads.TryAddReference()
                ? new StoreReader(_root, _reads)
                : throw new ObjectDisposedException(nameof(StoreReader));
        }

        return _follower is null
            ? new StoreReader(this, new DirectReads(_db, _db.CreateSnapshot()))
            : new StoreReader(this, _follower.Acquire());
    }

    /// <summary>
    /// For a secondary: applies what the primary wrote since the last call (a few ms) and pins the
    /// result as the generation new snapshots read. Snapshots taken before keep reading their own
    /// generation, so readers never wait for a catch-up and a catch-up never waits for readers.
    /// The QueryService calls this periodically in the background. No-op on the primary and on
    /// snapshots.
    /// </summary>
    public void CatchUp()
    {
        if (IsSnapshot)
        {
            return;
        }

        _follower?.CatchUp();
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

        _follower?.Release();
        _db.Dispose();
        _secondaryDirectory?.Dispose();
    }

    /// <summary>Options both the primary and a secondary open with.</summary>
    private protected static DbOptions CommonOptions() => new DbOptions()
        .SetMaxOpenFiles(-1)
        .SetKeepLogFileNum(KeepLogFiles)
        .SetMaxLogFileSize(MaxLogFileBytes);

    /// <summary>
    /// Every column family of <see cref="StoreLayout.ColumnFamilies"/>: default options (Snappy
    /// blocks), but Zstandard for the codes. A ReLU layer's codes are mostly one symbol (its zeros
    /// share one code, <c>TiedPartitions</c>), which Zstandard shrinks far more than Snappy; a query
    /// reads only its group's rows, so decompression costs little (docs/storage.md, "On disk").
    /// Compression is a property of the files written, so stores written with Snappy open and read
    /// unchanged, and their rows are recompressed as compaction rewrites them.
    /// </summary>
    private protected static ColumnFamilies Families()
    {
        var families = new ColumnFamilies();
        foreach (string name in StoreLayout.ColumnFamilies)
        {
            var options = new ColumnFamilyOptions();
            if (name == StoreLayout.Codes)
            {
                options.SetCompression(Compression.Zstd);
            }

            families.Add(name, options);
        }

        return families;
    }

    private protected ColumnFamilyHandle Cf(string name) => _families[name];

    private protected T? GetRecord<T>(byte[] key, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        byte[]? value = _reads.Get(key, Cf(StoreLayout.Meta));
        return value is null ? null : parser.ParseFrom(value);
    }

    private protected List<T> ListRecords<T>(string prefix, MessageParser<T> parser)
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
}
