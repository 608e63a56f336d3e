namespace DeepEverest.Core.Storage;

/// <summary>
/// A scratch directory owned by one live process (a build's spill files, a secondary instance's
/// files): it holds a lock file that the owner keeps open with an exclusive lock (flock on Linux)
/// until it disposes the directory. A process killed before that leaves the directory behind, but
/// the kernel drops its lock, so <see cref="Sweep"/> — run at start-up — can tell leftovers from
/// directories in use by other live processes sharing the parent (replicas, other data roots).
/// A sweep never sees an owned directory unlocked: it is locked under a staging name before it
/// gets its own (<see cref="Create"/>), and removed before its lock is released (<see cref="Dispose"/>).
/// </summary>
internal sealed class OwnedDirectory : IDisposable
{
    /// <summary>Name of the lock file inside an owned directory.</summary>
    public const string LockFileName = "owner.lock";

    /// <summary>A directory without a lock file is left alone this long (its owner may be creating it).</summary>
    private static readonly TimeSpan _unlockedGrace = TimeSpan.FromMinutes(10);

    private readonly FileStream _lock;

    private OwnedDirectory(string path, FileStream lockFile)
    {
        FullPath = path;
        _lock = lockFile;
    }

    /// <summary>The directory.</summary>
    public string FullPath { get; }

    /// <summary>Prefix of a directory being created: its owner has not locked it yet.</summary>
    private const string StagingPrefix = ".staging-";

    /// <summary>
    /// Creates <c>parent/prefix&lt;unique&gt;</c> and locks it for this process. The lock is taken
    /// under a staging name that sweeps leave alone, and the locked directory is then renamed into
    /// place (flock holds the inode, so it survives the rename): a concurrent sweep's probe can
    /// never take the lock between this process creating the file and locking it.
    /// </summary>
    public static OwnedDirectory Create(string parent, string prefix)
    {
        string unique = Guid.NewGuid().ToString("N");
        string path = Path.Combine(parent, prefix + unique);
        string staging = Path.Combine(parent, StagingPrefix + unique);
        Directory.CreateDirectory(staging);
        FileStream? lockFile = null;
        try
        {
            lockFile = new FileStream(Path.Combine(staging, LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            using (var writer = new StreamWriter(lockFile, leaveOpen: true))
            {
                // For a person looking at the directory; liveness comes from the lock alone.
                writer.Write($"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:O}\n");
            }

            Directory.Move(staging, path);
            return new OwnedDirectory(path, lockFile);
        }
        catch
        {
            lockFile?.Dispose();
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Removes the directories <c>parent/prefix*</c> whose owner is gone (its lock can be taken);
    /// returns how many, staging directories of a Create that died included. Directories with no
    /// lock file (written by an older version, or by a process killed while creating one) go once
    /// they are older than a few minutes.
    /// </summary>
    public static int Sweep(string parent, string prefix)
    {
        if (!Directory.Exists(parent))
        {
            return 0;
        }

        int removed = 0;
        // A staging directory is some process's Create under way, or one it died in: only the latter
        // is removed, once it is older than the grace period.
        foreach (string directory in Directory.EnumerateDirectories(parent))
        {
            string name = Path.GetFileName(directory);
            bool staging = name.StartsWith(StagingPrefix, StringComparison.Ordinal);
            if (!staging && !name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (staging ? IsStale(directory) : IsAbandoned(directory))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Removed meanwhile, or not ours to remove: leave it.
                }
            }
        }

        return removed;
    }

    /// <summary>Whether <paramref name="directory"/> has no live owner.</summary>
    public static bool IsAbandoned(string directory)
    {
        string lockPath = Path.Combine(directory, LockFileName);
        if (!File.Exists(lockPath))
        {
            return DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) > _unlockedGrace;
        }

        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether a staging directory was left by a Create that died: older than the grace period and unlocked.</summary>
    private static bool IsStale(string directory) =>
        DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) > _unlockedGrace && IsAbandoned(directory);

    /// <summary>
    /// Deletes the directory, then unlocks it (the open lock file can be unlinked on Linux): no
    /// sweep sees it unlocked while it still holds files.
    /// </summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Already gone, or not removable; a leftover would be swept at the next start.
        }
        finally
        {
            _lock.Dispose();
        }
    }
}
