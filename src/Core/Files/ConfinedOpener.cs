using Microsoft.Win32.SafeHandles;

namespace DeepEverest.Core.Files;

/// <summary>
/// Opens a path under a root the way the kernel would resolve it, one component at a time from a
/// descriptor of the root, so that nothing outside the root is ever opened or even looked at:
/// every component is opened with O_PATH|O_NOFOLLOW (which neither follows a link nor opens the
/// file's contents), a symbolic link is read and its target walked in turn (absolute targets must
/// name the root), and ".." never climbs above the root. Only a regular file is finally opened for
/// reading, with O_NONBLOCK|O_NOFOLLOW and a check that it is the very file examined, so a path
/// swapped for a FIFO, a device or a link in between is refused instead of followed or waited on.
/// </summary>
/// <remarks>
/// Linux only (openat, statx, readlinkat). Like openat2's RESOLVE_IN_ROOT, but refusing escapes
/// rather than clamping them, and portable to kernels older than 5.6 and to sandboxes that block
/// openat2.
/// </remarks>
internal static class ConfinedOpener
{
    /// <summary>Most symbolic links followed in one path (Linux's own limit is 40).</summary>
    public const int MaxLinks = 40;

    /// <summary>The outcome a walk can end in besides an open file.</summary>
    public enum Refusal
    {
        /// <summary>The path leaves the root (by "..", an absolute link target, or a link to outside).</summary>
        Outside,

        /// <summary>A component does not exist (or a middle component is not a directory).</summary>
        Missing,

        /// <summary>The final file is a directory, FIFO, socket or device.</summary>
        NotRegular,

        /// <summary>More than <see cref="MaxLinks"/> symbolic links: a loop.</summary>
        LinkLoop,

        /// <summary>The service may not read it.</summary>
        Denied,

        /// <summary>A component is longer than the filesystem allows.</summary>
        NameTooLong,

        /// <summary>A directory was asked for and the path names something else.</summary>
        NotDirectory,
    }

    /// <summary>What a walk should end on.</summary>
    private enum Want
    {
        /// <summary>A regular file, opened for reading.</summary>
        RegularFile,

        /// <summary>A directory, returned as an O_PATH descriptor.</summary>
        Directory,

        /// <summary>Anything: only its kind and size are reported.</summary>
        Kind,
    }

    /// <summary>Opens <paramref name="relative"/> (relative to <paramref name="root"/>) for reading, or says why not.</summary>
    /// <param name="root">Absolute path of the root directory.</param>
    /// <param name="realRoot">The canonical form of <paramref name="root"/>, for absolute link targets.</param>
    /// <param name="relative">Path relative to the root; may contain "..", "." and links.</param>
    /// <param name="handle">The open file, when the result is null.</param>
    /// <param name="length">Its size in bytes.</param>
    public static Refusal? TryOpen(string root, string realRoot, string relative, out SafeFileHandle? handle, out long length) =>
        Walk(root, realRoot, relative, Want.RegularFile, out handle, out length, out _, out _);

    /// <summary>
    /// Resolves <paramref name="relative"/> to a directory inside the root and returns an O_PATH
    /// descriptor of it (the caller closes it with <see cref="LinuxFiles.Close"/>), or says why not.
    /// </summary>
    public static Refusal? TryOpenDirectory(string root, string realRoot, string relative, out int directory) =>
        Walk(root, realRoot, relative, Want.Directory, out _, out _, out directory, out _);

    /// <summary>
    /// Says what <paramref name="relative"/> resolves to inside the root (links followed, confined
    /// like <see cref="TryOpen"/>) without opening its contents: its kind and, for a regular file, its size.
    /// </summary>
    public static Refusal? TryResolveKind(string root, string realRoot, string relative, out LinuxFiles.FileKind kind, out long length) =>
        Walk(root, realRoot, relative, Want.Kind, out _, out length, out _, out kind);

    private static Refusal? Walk(string root, string realRoot, string relative, Want want, out SafeFileHandle? handle, out long length, out int directory, out LinuxFiles.FileKind kind)
    {
        handle = null;
        length = 0;
        directory = -1;
        kind = LinuxFiles.FileKind.Other;
        int rootFd = LinuxFiles.OpenDirectoryPath(root);
        if (rootFd < 0)
        {
            throw new IOException($"The data root cannot be opened (errno {LinuxFiles.LastError}).");
        }

        // Descriptors of the directories from the root down to the current one.
        var directories = new List<int> { rootFd };
        var pending = new Stack<string>();
        Push(pending, relative);
        int links = 0;
        try
        {
            while (pending.TryPop(out string? component))
            {
                if (component == "..")
                {
                    if (directories.Count == 1)
                    {
                        return Refusal.Outside;
                    }

                    LinuxFiles.Close(directories[^1]);
                    directories.RemoveAt(directories.Count - 1);
                    continue;
                }

                int current = directories[^1];
                int fd = LinuxFiles.OpenPath(current, component);
                if (fd < 0)
                {
                    return FromErrno(LinuxFiles.LastError);
                }

                LinuxFiles.FileFacts? facts = LinuxFiles.Stat(fd);
                if (facts is null)
                {
                    LinuxFiles.Close(fd);
                    return Refusal.Denied;
                }

                switch (facts.Value.Kind)
                {
                    case LinuxFiles.FileKind.SymbolicLink:
                        string? target = LinuxFiles.ReadLink(fd);
                        LinuxFiles.Close(fd);
                        if (target is null || ++links > MaxLinks)
                        {
                            return target is null ? Refusal.Denied : Refusal.LinkLoop;
                        }

                        if (target.StartsWith('/'))
                        {
                            string? inside = StripRoot(target, root, realRoot);
                            if (inside is null)
                            {
                                return Refusal.Outside;
                            }

                            // An absolute target restarts the walk at the root.
                            while (directories.Count > 1)
                            {
                                LinuxFiles.Close(directories[^1]);
                                directories.RemoveAt(directories.Count - 1);
                            }

                            Push(pending, inside);
                        }
                        else
                        {
                            Push(pending, target);
                        }

                        break;

                    case LinuxFiles.FileKind.Directory:
                        directories.Add(fd);
                        break;

                    case LinuxFiles.FileKind.Regular when pending.Count == 0 && want == Want.RegularFile:
                        return OpenRegular(current, component, fd, facts.Value, out handle, out length);

                    case LinuxFiles.FileKind.Regular or LinuxFiles.FileKind.Other when pending.Count == 0 && want == Want.Kind:
                        LinuxFiles.Close(fd);
                        kind = facts.Value.Kind;
                        length = facts.Value.Kind == LinuxFiles.FileKind.Regular ? facts.Value.Size : 0;
                        return null;

                    case LinuxFiles.FileKind.Regular when pending.Count == 0:
                        LinuxFiles.Close(fd);
                        return Refusal.NotDirectory;

                    case LinuxFiles.FileKind.Regular:
                        // A file used as a directory: the kernel says ENOTDIR, a user "no such file".
                        LinuxFiles.Close(fd);
                        return Refusal.Missing;

                    default:
                        LinuxFiles.Close(fd);
                        return want == Want.Directory && pending.Count == 0 ? Refusal.NotDirectory : Refusal.NotRegular;
                }
            }

            // The path ended on a directory (the root itself, "sub/", "sub/..").
            switch (want)
            {
                case Want.Directory:
                    // Handed to the caller, so kept out of the descriptors closed below.
                    directory = directories[^1];
                    directories.RemoveAt(directories.Count - 1);
                    return null;
                case Want.Kind:
                    kind = LinuxFiles.FileKind.Directory;
                    return null;
                default:
                    return Refusal.NotRegular;
            }
        }
        finally
        {
            foreach (int fd in directories)
            {
                LinuxFiles.Close(fd);
            }
        }
    }

    private static Refusal? OpenRegular(int directory, string name, int pathFd, LinuxFiles.FileFacts facts, out SafeFileHandle? handle, out long length)
    {
        handle = null;
        length = 0;
        int fd = LinuxFiles.OpenForReading(directory, name);
        int error = LinuxFiles.LastError;
        LinuxFiles.Close(pathFd);
        if (fd < 0)
        {
            // ELOOP here means the file became a link since it was examined.
            return error == LinuxFiles.ELOOP ? Refusal.NotRegular : FromErrno(error);
        }

        LinuxFiles.FileFacts? opened = LinuxFiles.Stat(fd);
        if (opened is not { Kind: LinuxFiles.FileKind.Regular } || opened.Value.Inode != facts.Inode || opened.Value.Device != facts.Device)
        {
            LinuxFiles.Close(fd);
            return Refusal.NotRegular;
        }

        handle = new SafeFileHandle(fd, ownsHandle: true);
        length = opened.Value.Size;
        return null;
    }

    /// <summary>The part of an absolute path below the root, or null when it does not start with the root.</summary>
    public static string? StripRoot(string path, string root, string realRoot)
    {
        foreach (string prefix in new[] { root, realRoot })
        {
            string withSlash = prefix.EndsWith('/') ? prefix : prefix + "/";
            if (path == prefix || path == withSlash)
            {
                return ".";
            }

            if (path.StartsWith(withSlash, StringComparison.Ordinal))
            {
                return path[withSlash.Length..];
            }
        }

        return null;
    }

    /// <summary>Pushes the components of <paramref name="path"/> so that the first is popped first.</summary>
    private static void Push(Stack<string> pending, string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i] != ".")
            {
                pending.Push(parts[i]);
            }
        }
    }

    private static Refusal FromErrno(int errno) => errno switch
    {
        LinuxFiles.ENOENT or LinuxFiles.ENOTDIR => Refusal.Missing,
        LinuxFiles.EACCES => Refusal.Denied,
        LinuxFiles.ENAMETOOLONG => Refusal.NameTooLong,
        LinuxFiles.ELOOP => Refusal.LinkLoop,
        _ => throw new IOException($"Opening a file under the data root failed (errno {errno})."),
    };
}
