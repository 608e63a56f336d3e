namespace DeepEverest.Core.Storage;

/// <summary>
/// A scratch directory owned by one live process (a build's spill files, a secondary instance's
/// files): it holds a lock file that the owner keeps open with an exclusive lock (flock on Linux)
/// until it disposes the directory. A process killed before that leaves the directory behind, but
/// the kernel drops its lock, so <see cref="Sweep"/> — run at start-up — can tell leftovers from
/// directories in use by other live processes sharing the parent (replicas, other data roots).
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

    /// <summary>Creates <c>parent/prefix&lt;unique&gt;</c> and locks it for this process.</summary>
    public static OwnedDirectory Create(string parent, string prefix)
    {
        string path = Path.Combine(parent, prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        try
        {
            var lockFile = new FileStream(Path.Combine(path, LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            using (var writer = new StreamWriter(lockFile, leaveOpen: true))
            {
                // For a person looking at the directory; liveness comes from the lock alone.
                writer.Write($"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:O}\n");
            }

            return new OwnedDirectory(path, lockFile);
        }
        catch
        {
            Directory.Delete(path, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Removes the directories <c>parent/prefix*</c> whose owner is gone (its lock can be taken);
    /// returns how many. Directories with no lock file (written by an older version, or by a
    /// process killed while creating one) go once they are older than a few minutes.
    /// </summary>
    public static int Sweep(string parent, string prefix)
    {
        if (!Directory.Exists(parent))
        {
            return 0;
        }

        int removed = 0;
        foreach (string directory in Directory.EnumerateDirectories(parent, prefix + "*"))
        {
            if (IsAbandoned(directory))
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

    /// <summary>Unlocks and deletes the directory.</summary>
    public void Dispose()
    {
        _lock.Dispose();
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (IOException)
        {
            // Already gone; a leftover would be swept at the next start.
        }
    }
}
