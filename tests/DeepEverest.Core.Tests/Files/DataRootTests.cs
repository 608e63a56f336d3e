using System.Diagnostics;
using System.Net.Sockets;
using DeepEverest.Core.Files;

namespace DeepEverest.Core.Tests.Files;

/// <summary>
/// Confinement of client paths to the data root: links that stay inside work, anything that leads
/// outside is refused before the outside is looked at (same message whether the file exists),
/// only regular files are opened, and nothing hangs.
/// </summary>
public sealed class DataRootTests : IDisposable
{
    private readonly string _base = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
    private readonly string _root;
    private readonly string _outside;

    public DataRootTests()
    {
        _root = Path.Combine(_base, "root");
        _outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(Path.Combine(_root, "sub", "deeper"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_root, "inside.txt"), "inside");
        File.WriteAllText(Path.Combine(_root, "sub", "deeper", "file.txt"), "deep");
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Theory]
    [InlineData("inside.txt")]
    [InlineData("./inside.txt")]
    [InlineData("sub/../inside.txt")]
    [InlineData("sub//deeper/./file.txt")]
    public void OpenRead_PathInside_ReadsTheFile(string path)
    {
        using DataFile file = DataRoot.OpenRead(_root, path, "path");

        Assert.True(file.Length > 0);
        Assert.Equal(path, file.Name);
    }

    [Fact]
    public void OpenRead_AbsolutePathInside_ReadsTheFile()
    {
        using DataFile file = DataRoot.OpenRead(_root, Path.Combine(_root, "sub", "deeper", "file.txt"), "path");

        Assert.Equal("deep", new StreamReader(file.Stream).ReadToEnd());
    }

    [Fact]
    public void OpenRead_LinksThatStayInside_AreFollowed()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "relative-link.txt"), "sub/deeper/file.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "absolute-link.txt"), Path.Combine(_root, "inside.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "sub", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(_root, "dirlink"), "sub/deeper");
        File.CreateSymbolicLink(Path.Combine(_root, "chain.txt"), "relative-link.txt");

        foreach ((string path, string expected) in new[]
        {
            ("relative-link.txt", "deep"), ("absolute-link.txt", "inside"), ("sub/up/inside.txt", "inside"),
            ("dirlink/file.txt", "deep"), ("dirlink/../deeper/file.txt", "deep"), ("chain.txt", "deep"),
        })
        {
            using DataFile file = DataRoot.OpenRead(_root, path, "path");
            Assert.Equal(expected, new StreamReader(file.Stream).ReadToEnd());
        }
    }

    [Fact]
    public void OpenRead_SymlinkedDirectoryToOutside_RefusedAlikeForExistingAndMissingFiles()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_root, "sub", "escape-relative"), "../../outside");

        string existing = Refused("escape/secret.txt");
        string missing = Refused("escape/missing.txt");
        string relative = Refused("sub/escape-relative/secret.txt");

        Assert.Equal(existing.Replace("secret", "X", StringComparison.Ordinal), missing.Replace("missing", "X", StringComparison.Ordinal));
        Assert.Contains("outside the data root", relative, StringComparison.Ordinal);
        foreach (string message in new[] { existing, missing, relative })
        {
            Assert.DoesNotContain(_base, message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("../outside/secret.txt")]
    [InlineData("../outside/missing.txt")]
    [InlineData("sub/../../outside/secret.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("/etc/no-such-file")]
    public void OpenRead_PathLeavingTheRoot_InvalidArgumentWithoutHostPaths(string path)
    {
        string message = Refused(path);

        Assert.Contains("outside the data root", message, StringComparison.Ordinal);
        Assert.DoesNotContain(_root, message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_LinksToOutsideFileOrToSystemFiles_Refused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "secret-link.txt"), Path.Combine(_outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "shadow"), "/etc/shadow");
        File.CreateSymbolicLink(Path.Combine(_root, "dotdot"), "../outside/secret.txt");

        Assert.Contains("outside the data root", Refused("secret-link.txt"), StringComparison.Ordinal);
        Assert.Contains("outside the data root", Refused("shadow"), StringComparison.Ordinal);
        Assert.Contains("outside the data root", Refused("dotdot"), StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_SymlinkLoop_InvalidArgument()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(_root, "b"), "a");
        File.CreateSymbolicLink(Path.Combine(_root, "self"), "self");

        Assert.Contains("symbolic links", Refused("a"), StringComparison.Ordinal);
        Assert.Contains("symbolic links", Refused("self/x"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenRead_NamedPipe_RefusedWithoutBlocking()
    {
        string fifo = Path.Combine(_root, "pipe.npy");
        using (Process mkfifo = Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
        }

        // A blocking open would wait for a writer forever: run it on a task with a deadline.
        string message = await Task.Run(() => Refused("pipe.npy")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("not a regular file", message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_DirectoryOrSocket_NotARegularFile()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_root, "socket")));

        Assert.Contains("not a regular file", Refused("sub"), StringComparison.Ordinal);
        Assert.Contains("not a regular file", Refused("."), StringComparison.Ordinal);
        Assert.Contains("not a regular file", Refused("socket"), StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_MissingFile_NotFoundWithoutHostPaths()
    {
        var e = Assert.Throws<DeepEverestException>(() => DataRoot.OpenRead(_root, "sub/nope.npy", "parts[0].inputs_path"));

        Assert.Equal(ErrorKind.NotFound, e.Kind);
        Assert.StartsWith("parts[0].inputs_path", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_root, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_FileUsedAsDirectory_NotFound()
    {
        var e = Assert.Throws<DeepEverestException>(() => DataRoot.OpenRead(_root, "inside.txt/x", "path"));

        Assert.Equal(ErrorKind.NotFound, e.Kind);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData("inside.txt\0.npy", "NUL")]
    public void OpenRead_MalformedPath_InvalidArgument(string path, string fragment)
    {
        Assert.Contains(fragment, Refused(path), StringComparison.Ordinal);
    }

    [Fact]
    public void OpenRead_OverlongPathOrComponent_InvalidArgument()
    {
        Assert.Contains("longer than 4096", Refused(string.Join('/', Enumerable.Repeat("a", 2100))), StringComparison.Ordinal);
        Assert.Contains("longer than 255", Refused(new string('x', 300)), StringComparison.Ordinal);
    }

    [Fact]
    public void ListFolder_Entries_SortedByCodePointWithKindsAndLinksResolvedInside()
    {
        string folder = Path.Combine(_root, "listed");
        Directory.CreateDirectory(Path.Combine(folder, "b-dir"));
        File.WriteAllText(Path.Combine(folder, "a.txt"), "12345");

        // U+1F600 sorts after U+FFFD by code point, before it in UTF-16 ordinal order.
        File.WriteAllText(Path.Combine(folder, "\U0001F600"), "");
        File.WriteAllText(Path.Combine(folder, "\uFFFD"), "");
        File.CreateSymbolicLink(Path.Combine(folder, "c-link"), "../inside.txt");
        Directory.CreateSymbolicLink(Path.Combine(folder, "d-link"), Path.Combine(_root, "sub"));
        using (Process mkfifo = Process.Start("mkfifo", Path.Combine(folder, "e-fifo")))
        {
            mkfifo.WaitForExit();
        }

        IReadOnlyList<FolderEntry> entries = DataRoot.ListFolder(_root, "listed", "folder");

        Assert.Equal(
            [
                new FolderEntry("a.txt", FolderEntryKind.File, 5),
                new FolderEntry("b-dir", FolderEntryKind.Folder, 0),
                new FolderEntry("c-link", FolderEntryKind.File, 6),
                new FolderEntry("d-link", FolderEntryKind.Folder, 0),
                new FolderEntry("e-fifo", FolderEntryKind.Other, 0),
                new FolderEntry("\uFFFD", FolderEntryKind.File, 0),
                new FolderEntry("\U0001F600", FolderEntryKind.File, 0),
            ],
            entries);
    }

    [Fact]
    public void ListFolder_EntryLinkingOutside_RefusedAlikeForExistingAndMissingTargets()
    {
        Directory.CreateDirectory(Path.Combine(_root, "leaky"));
        Directory.CreateDirectory(Path.Combine(_root, "dangling"));
        File.CreateSymbolicLink(Path.Combine(_root, "leaky", "x"), Path.Combine(_outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "dangling", "x"), Path.Combine(_outside, "missing.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "out"), _outside);

        foreach (string folder in new[] { "leaky", "dangling", "out", "..", Path.Combine(_root, "..") })
        {
            var e = Assert.Throws<DeepEverestException>(() => DataRoot.ListFolder(_root, folder, "folder"));
            Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
            Assert.Contains("leads outside the data root", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Shorten_LongOrControlCharacters_ShownSafely()
    {
        string shown = DataFile.Shorten(new string('a', 500) + "\n");

        Assert.True(shown.Length <= DataFile.MaxShownPathChars + 6);
        Assert.DoesNotContain('\n', shown);
    }

    private string Refused(string path)
    {
        var e = Assert.Throws<DeepEverestException>(() => DataRoot.OpenRead(_root, path, "path"));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.StartsWith("path", e.Message, StringComparison.Ordinal);
        return e.Message;
    }
}
