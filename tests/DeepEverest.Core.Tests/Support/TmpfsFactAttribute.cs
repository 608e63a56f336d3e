using System.Diagnostics;

namespace DeepEverest.Core.Tests.Support;

/// <summary>
/// A fact that needs a small tmpfs (a real "disk full"): skipped, with the reason shown, where
/// this process may not mount one (not root, or a sandbox without CAP_SYS_ADMIN).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> _unavailable = new(Probe);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when mounting a tmpfs fails.</summary>
    public TmpfsFactAttribute()
    {
        if (_unavailable.Value is { } reason)
        {
            Skip = $"Cannot mount a tmpfs here ({reason}); the disk-full tests need one.";
        }
    }

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MiB on a new temporary directory.</summary>
    public static TmpfsMount Mount(int megabytes)
    {
        string path = Path.Combine(Path.GetTempPath(), "deepeverest-tests", "tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new TmpfsMount(path);
    }

    internal static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed: {error.Trim()}");
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        try
        {
            using TmpfsMount mount = Mount(1);
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }
}

/// <summary>A mounted tmpfs; disposing unmounts it and removes the mount point.</summary>
public sealed class TmpfsMount(string path) : IDisposable
{
    /// <summary>The mount point.</summary>
    public string Path { get; } = path;

    /// <summary>Fills the filesystem until at most <paramref name="leaveBytes"/> stay free; returns the filler file.</summary>
    public string Fill(long leaveBytes)
    {
        string filler = System.IO.Path.Combine(Path, "filler");
        long free = new DriveInfo(Path).AvailableFreeSpace;
        using var file = new FileStream(filler, FileMode.Create);
        var chunk = new byte[1 << 16];
        for (long left = free - leaveBytes; left > 0; left -= chunk.Length)
        {
            file.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }

        return filler;
    }

    public void Dispose()
    {
        try
        {
            TmpfsFactAttribute.Run("umount", "-l", Path);
            Directory.Delete(Path);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // Best effort: a leftover empty mount point in the temp directory.
        }
    }
}
