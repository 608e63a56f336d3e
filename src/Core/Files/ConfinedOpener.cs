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
    }

    /// <summary>Opens <paramref name="relative"/> (relative to <paramref name="root"/>) for reading, or says why not.</summary>
    /// <param name="root">Absolute path of the root directory.</param>
    /// <param name="realRoot">The canonical form of <paramref name="root"/>, for absolute link targets.</param>
    /// <param name="relative">Path relative to the root; may contain "..", "." and links.</param>
    /// <param name="handle">The open file, when the result is null.</param>
    /// <param name="length">Its size in bytes.</param>
    public static Refusal? TryOpen(string root, string realRoot, string relative, out SafeFileHandle? handle, out long length)
    {
        handle = null;
        length = 0;
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

                    case LinuxFiles.FileKind.Regular when pending.Count == 0:
                        return OpenRegular(current, component, fd, facts.Value, out handle, out length);

                    case LinuxFiles.FileKind.Regular:
                        // A file used as a directory: the kernel says ENOTDIR, a user "no such file".
                        LinuxFiles.Close(fd);
                        return Refusal.Missing;

                    default:
                        LinuxFiles.Close(fd);
                        return Refusal.NotRegular;
                }
            }

            // The path ended on a directory (the root itself, "sub/", "sub/..").
            return Refusal.NotRegular;
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
