using RocksDbSharp;

namespace DeepEverest.Core.Storage;

/// <summary>Recognizes a full disk among I/O failures and says so in words a user can act on.</summary>
public static class DiskFull
{
    private const int Enospc = 28;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>Whether <paramref name="error"/> (or an exception inside it) reports that a disk or quota is full.</summary>
    public static bool Matches(Exception? error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case IOException io when io.HResult is Enospc or WindowsDiskFull or WindowsHandleDiskFull:
                case IOException io2 when io2.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase):
                case RocksDbException rocks when rocks.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                    || rocks.Message.Contains("NoSpace", StringComparison.Ordinal)
                    || rocks.Message.Contains("Max allowed space", StringComparison.OrdinalIgnoreCase):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Refuses (RESOURCE_EXHAUSTED) work that needs more free space than its volumes have: each
    /// need is (a directory on the volume, bytes); needs on one volume add up. Refusing up front
    /// keeps RocksDB from running out of space mid-write, which stops all its writes until space
    /// comes back. Paths stay out of the message (it goes to clients).
    /// </summary>
    public static void RequireFree(string notDone, params (string Directory, long Bytes)[] needs)
    {
        foreach (var volume in needs.Where(n => n.Bytes > 0).GroupBy(n => VolumeOf(n.Directory)))
        {
            long needed = volume.Sum(n => n.Bytes);
            long free = FreeBytes(volume.First().Directory);
            if (free < needed)
            {
                throw new DeepEverestException(
                    ErrorKind.ResourceExhausted,
                    $"Not enough disk space: {notDone}. It needs about {Mib(needed)} MiB more on the volume of the data root or of the spill directory, which has {Mib(free)} MiB free. Nothing partial was published; what was published before is intact. Free space and try again.");
            }
        }
    }

    /// <summary>Bytes available to this process on the volume holding <paramref name="directory"/> (long.MaxValue if unknown).</summary>
    public static long FreeBytes(string directory)
    {
        try
        {
            return new DriveInfo(ExistingAncestor(directory)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>The mount point holding <paramref name="directory"/>: the longest one that is a prefix of its full path.</summary>
    private static string VolumeOf(string directory)
    {
        string full = Path.GetFullPath(ExistingAncestor(directory));
        try
        {
            return DriveInfo.GetDrives()
                .Select(d => d.Name)
                .Where(mount => full == mount.TrimEnd(Path.DirectorySeparatorChar) || full.StartsWith(mount.EndsWith(Path.DirectorySeparatorChar) ? mount : mount + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .MaxBy(mount => mount.Length) ?? full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return full;
        }
    }

    private static string ExistingAncestor(string directory)
    {
        string? path = Path.GetFullPath(directory);
        while (path is not null && !Directory.Exists(path))
        {
            path = Path.GetDirectoryName(path);
        }

        return path ?? Path.GetPathRoot(Path.GetFullPath(directory))!;
    }

    private static long Mib(long bytes) => (bytes + (1 << 20) - 1) >> 20;

    /// <summary>The RESOURCE_EXHAUSTED failure to report for <paramref name="error"/>, naming what was not done.</summary>
    public static DeepEverestException Failure(string notDone, Exception error) => new(
        ErrorKind.ResourceExhausted,
        $"The disk is full (no space left on the volume of the data root or of the spill directory): {notDone}. Nothing partial was published; what was published before is intact. Free space and try again.",
        error);
}
