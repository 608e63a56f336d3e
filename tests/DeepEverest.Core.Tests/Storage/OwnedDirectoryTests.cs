using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Tests.Storage;

/// <summary>
/// Owned scratch directories under a parent shared by live processes: a sweep removes only those
/// whose owner is gone, and never one that is being created or disposed (CI once failed when a
/// test saw a live secondary's directory vanish under a concurrent sweep).
/// </summary>
public sealed class OwnedDirectoryTests : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("deepeverest-owned-").FullName;

    [Fact]
    public void Create_LockedUnderItsOwnName_NoStagingLeft()
    {
        using OwnedDirectory owned = OwnedDirectory.Create(_parent, "scratch-");

        Assert.StartsWith(Path.Combine(_parent, "scratch-"), owned.FullPath, StringComparison.Ordinal);
        Assert.Equal([owned.FullPath], Directory.GetDirectories(_parent));
        Assert.False(OwnedDirectory.IsAbandoned(owned.FullPath));
        Assert.Equal(0, OwnedDirectory.Sweep(_parent, ""));
        Assert.True(Directory.Exists(owned.FullPath));
    }

    [Fact]
    public void Dispose_RemovesTheDirectory()
    {
        OwnedDirectory owned = OwnedDirectory.Create(_parent, "scratch-");
        File.WriteAllBytes(Path.Combine(owned.FullPath, "block-0.f32"), new byte[4096]);

        owned.Dispose();

        Assert.Empty(Directory.GetDirectories(_parent));
    }

    [Fact]
    public void Sweep_StagingDirectory_KeptWhileRecentRemovedOnceStale()
    {
        // What a process killed between creating its lock file and renaming the directory leaves.
        string staging = Path.Combine(_parent, ".staging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, OwnedDirectory.LockFileName), "");

        Assert.Equal(0, OwnedDirectory.Sweep(_parent, "scratch-"));
        Assert.True(Directory.Exists(staging), "a recent staging directory may be a Create under way");

        Directory.SetLastWriteTimeUtc(staging, DateTime.UtcNow - TimeSpan.FromHours(1));
        Assert.Equal(1, OwnedDirectory.Sweep(_parent, "scratch-"));
        Assert.False(Directory.Exists(staging));
    }

    [Fact]
    public async Task Sweep_ConcurrentWithCreateAndDispose_NeverRemovesALiveDirectory()
    {
        // Sweepers probe every directory's lock while owners create, check and dispose theirs.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Task[] sweepers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                OwnedDirectory.Sweep(_parent, "scratch-");
            }
        })).ToArray();
        Task[] owners = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using OwnedDirectory owned = OwnedDirectory.Create(_parent, "scratch-");
                    File.WriteAllBytes(Path.Combine(owned.FullPath, "block-0.f32"), new byte[256]);
                    if (!File.Exists(Path.Combine(owned.FullPath, "block-0.f32")))
                    {
                        failures.Enqueue($"{owned.FullPath} lost its files while live");
                    }
                }
                catch (IOException e)
                {
                    failures.Enqueue(e.ToString());
                }
            }
        })).ToArray();

        await Task.WhenAll([.. sweepers, .. owners]);

        Assert.Empty(failures);
        Assert.Empty(Directory.GetDirectories(_parent));
    }

    public void Dispose() => Directory.Delete(_parent, recursive: true);
}
