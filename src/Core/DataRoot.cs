using System.Text;
using DeepEverest.Core.Files;
using Microsoft.Win32.SafeHandles;

namespace DeepEverest.Core;

/// <summary>
/// Opens files that clients name by path, confined to a service's data root: a client can never
/// make a service read, or learn anything about, a file outside it.
/// </summary>
/// <remarks>
/// A path is relative to the data root, or absolute and starting with it. Every component is
/// resolved inside the root (<see cref="ConfinedOpener"/>): symbolic links (to files or
/// directories) may be used as long as they resolve inside the root; a path that leaves it, by
/// "..", a link or an absolute name, is refused before anything outside is looked at, so the
/// refusal is the same whether or not the outside file exists. Only regular files are opened: a
/// directory, FIFO, socket or device is refused without being opened for reading, so a named pipe
/// can never hang a call. Messages show the path as the client gave it, never the data root's
/// absolute path or a link's target.
/// </remarks>
public static class DataRoot
{
    /// <summary>Longest path accepted, in UTF-8 bytes (Linux's PATH_MAX).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Longest path component accepted, in UTF-8 bytes (Linux's NAME_MAX).</summary>
    public const int MaxComponentBytes = 255;

    /// <summary>
    /// Opens the regular file at <paramref name="path"/> under <paramref name="root"/> for reading.
    /// </summary>
    /// <param name="root">The data root.</param>
    /// <param name="path">The client's path: relative to the root, or absolute inside it.</param>
    /// <param name="field">The request field it came from, named in every message (e.g. <c>path</c>).</param>
    /// <exception cref="DeepEverestException">
    /// InvalidArgument when the path is empty, too long, holds a NUL, leads outside the root, loops
    /// through symbolic links, or names something other than a regular file (or one the service may
    /// not read); NotFound when no such file exists under the root.
    /// </exception>
    public static DataFile OpenRead(string root, string path, string field)
    {
        CheckSyntax(path, field);
        string shown = DataFile.Shorten(path);
        string fullRoot = Path.GetFullPath(root);
        string realRoot = OperatingSystem.IsLinux() ? LinuxFiles.RealPath(fullRoot) ?? fullRoot : fullRoot;
        string relative;
        if (path.StartsWith('/'))
        {
            relative = ConfinedOpener.StripRoot(path, fullRoot, realRoot) ?? throw Outside(field, shown);
        }
        else
        {
            relative = path;
        }

        if (!OperatingSystem.IsLinux())
        {
            return OpenPortable(fullRoot, relative, field, shown);
        }

        ConfinedOpener.Refusal? refusal = ConfinedOpener.TryOpen(fullRoot, realRoot, relative, out SafeFileHandle? handle, out long length);
        return refusal is null ? new DataFile(handle!, length, shown, field) : throw Refused(refusal.Value, field, shown, "file");
    }

    /// <summary>
    /// Lists the folder at <paramref name="path"/> under <paramref name="root"/>: every entry but
    /// "." and "..", each resolved (symbolic links followed inside the root, as
    /// <see cref="OpenRead"/> does), sorted by name in the order of their UTF-8 bytes (that is, by
    /// Unicode code point, as Python sorts strings).
    /// </summary>
    /// <param name="root">The data root.</param>
    /// <param name="path">The client's path of the folder: relative to the root, or absolute inside it.</param>
    /// <param name="field">The request field it came from, named in every message (e.g. <c>image_folder</c>).</param>
    /// <exception cref="DeepEverestException">
    /// InvalidArgument when the path, or an entry that is a symbolic link, leads outside the root,
    /// or the path names something other than a folder; NotFound when no such folder exists.
    /// </exception>
    public static IReadOnlyList<FolderEntry> ListFolder(string root, string path, string field)
    {
        CheckSyntax(path, field);
        string shown = DataFile.Shorten(path);
        string fullRoot = Path.GetFullPath(root);
        if (!OperatingSystem.IsLinux())
        {
            return ListPortable(fullRoot, path, field, shown);
        }

        string realRoot = LinuxFiles.RealPath(fullRoot) ?? fullRoot;
        string relative = path.StartsWith('/') ? ConfinedOpener.StripRoot(path, fullRoot, realRoot) ?? throw Outside(field, shown) : path;
        ConfinedOpener.Refusal? refusal = ConfinedOpener.TryOpenDirectory(fullRoot, realRoot, relative, out int directory);
        if (refusal is not null)
        {
            throw Refused(refusal.Value, field, shown, "folder");
        }

        List<string>? names;
        try
        {
            // The descriptor is the folder the confined walk reached, whatever its path has become
            // since; only names are read from it, nothing is examined or followed.
            names = LinuxFiles.ListNames(directory);
        }
        catch (DecoderFallbackException)
        {
            throw DeepEverestException.Invalid($"{field}: a name in the folder '{shown}' is not valid UTF-8; rename it.");
        }
        finally
        {
            LinuxFiles.Close(directory);
        }

        if (names is null)
        {
            throw DeepEverestException.Invalid($"{field}: the service may not list the folder '{shown}' (permission denied?).");
        }

        var entries = new List<FolderEntry>(names.Count);
        foreach (string name in names.OrderBy(n => n, Utf8Order.Instance))
        {
            string entryPath = relative.TrimEnd('/') + "/" + name;
            refusal = ConfinedOpener.TryResolveKind(fullRoot, realRoot, entryPath, out LinuxFiles.FileKind kind, out long length);
            if (refusal == ConfinedOpener.Refusal.Missing)
            {
                // Deleted since it was listed.
                continue;
            }

            if (refusal is not null)
            {
                throw Refused(refusal.Value, field, DataFile.Shorten(path.TrimEnd('/') + "/" + name), "file");
            }

            entries.Add(new FolderEntry(name, kind switch
            {
                LinuxFiles.FileKind.Regular => FolderEntryKind.File,
                LinuxFiles.FileKind.Directory => FolderEntryKind.Folder,
                _ => FolderEntryKind.Other,
            }, length));
        }

        return entries;
    }

    /// <summary>
    /// Checks a client's path without touching the filesystem: present, at most
    /// <see cref="MaxPathBytes"/> bytes, components at most <see cref="MaxComponentBytes"/>, no NUL.
    /// </summary>
    public static void CheckSyntax(string path, string field)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw DeepEverestException.Invalid($"{field} is required: give a path under the data root.");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw DeepEverestException.Invalid($"{field}: the path contains a NUL character.");
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw DeepEverestException.Invalid($"{field}: the path is longer than {MaxPathBytes} bytes.");
        }

        if (path.Split('/').Any(c => Encoding.UTF8.GetByteCount(c) > MaxComponentBytes))
        {
            throw DeepEverestException.Invalid($"{field}: a component of the path is longer than {MaxComponentBytes} bytes.");
        }
    }

    private static DeepEverestException Refused(ConfinedOpener.Refusal refusal, string field, string shown, string wanted) => refusal switch
    {
        ConfinedOpener.Refusal.Outside => Outside(field, shown),
        ConfinedOpener.Refusal.Missing => DeepEverestException.NotFound($"{field}: no {wanted} '{shown}' under the data root; paths are relative to the data root."),
        ConfinedOpener.Refusal.NotRegular => NotRegular(field, shown),
        ConfinedOpener.Refusal.NotDirectory => DeepEverestException.Invalid($"{field}: '{shown}' is not a folder; name a folder under the data root."),
        ConfinedOpener.Refusal.LinkLoop => DeepEverestException.Invalid(
            $"{field}: '{shown}' goes through more than {ConfinedOpener.MaxLinks} symbolic links (a loop?)."),
        ConfinedOpener.Refusal.Denied => DeepEverestException.Invalid($"{field}: the service may not read '{shown}' (permission denied)."),
        _ => DeepEverestException.Invalid($"{field}: a component of '{shown}' is longer than the filesystem allows."),
    };

    private static DeepEverestException Outside(string field, string shown) =>
        DeepEverestException.Invalid(
            $"{field}: '{shown}' leads outside the data root; copy the file under the data root (symbolic links must stay inside it).");

    private static DeepEverestException NotRegular(string field, string shown) =>
        DeepEverestException.Invalid($"{field}: '{shown}' is not a regular file (a directory, pipe, socket or device); name a file under the data root.");

    /// <summary>
    /// Off Linux (development machines): the folder's canonical path, and each entry's, must stay
    /// under the root. Weaker than the Linux walk, like <see cref="OpenPortable"/>.
    /// </summary>
    private static IReadOnlyList<FolderEntry> ListPortable(string fullRoot, string path, string field, string shown)
    {
        string rootPrefix = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        var folder = new DirectoryInfo(Path.GetFullPath(Path.Combine(fullRoot, path)));
        string resolved = folder.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder.FullName;
        if (!(resolved + Path.DirectorySeparatorChar).StartsWith(rootPrefix, StringComparison.Ordinal))
        {
            throw Outside(field, shown);
        }

        if (!folder.Exists)
        {
            throw DeepEverestException.NotFound($"{field}: no folder '{shown}' under the data root; paths are relative to the data root.");
        }

        var entries = new List<FolderEntry>();
        foreach (FileSystemInfo entry in folder.EnumerateFileSystemInfos().OrderBy(e => e.Name, Utf8Order.Instance))
        {
            FileSystemInfo target = entry.ResolveLinkTarget(returnFinalTarget: true) ?? entry;
            if (!target.FullName.StartsWith(rootPrefix, StringComparison.Ordinal))
            {
                throw Outside(field, DataFile.Shorten(path.TrimEnd('/') + "/" + entry.Name));
            }

            entries.Add(target switch
            {
                DirectoryInfo => new FolderEntry(entry.Name, FolderEntryKind.Folder, 0),
                FileInfo file when file.Exists => new FolderEntry(entry.Name, FolderEntryKind.File, file.Length),
                _ => new FolderEntry(entry.Name, FolderEntryKind.Other, 0),
            });
        }

        return entries;
    }

    /// <summary>
    /// Off Linux (development machines): each component's link target is resolved with the managed
    /// API and checked against the root before the file is opened. Weaker than the Linux walk (a
    /// path swapped between check and open is not detected, nor is a FIFO), so services are meant
    /// to run on Linux.
    /// </summary>
    private static DataFile OpenPortable(string fullRoot, string relative, string field, string shown)
    {
        string rootPrefix = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        string current = fullRoot;
        int links = 0;
        var pending = new Queue<string>(relative.Split('/', StringSplitOptions.RemoveEmptyEntries));
        while (pending.TryDequeue(out string? component))
        {
            string next = Path.GetFullPath(Path.Combine(current, component));
            if (!next.StartsWith(rootPrefix, StringComparison.Ordinal))
            {
                throw Outside(field, shown);
            }

            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > ConfinedOpener.MaxLinks)
                {
                    throw DeepEverestException.Invalid($"{field}: '{shown}' goes through more than {ConfinedOpener.MaxLinks} symbolic links (a loop?).");
                }

                string resolved = Path.GetFullPath(Path.Combine(current, target));
                if (!resolved.StartsWith(rootPrefix, StringComparison.Ordinal))
                {
                    throw Outside(field, shown);
                }

                var rest = resolved[rootPrefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(pending).ToList();
                pending = new Queue<string>(rest);
                current = fullRoot;
                continue;
            }

            current = next;
        }

        if (Directory.Exists(current))
        {
            throw NotRegular(field, shown);
        }

        if (!File.Exists(current))
        {
            throw DeepEverestException.NotFound($"{field}: no file '{shown}' under the data root; paths are relative to the data root.");
        }

        SafeFileHandle handle = File.OpenHandle(current, FileMode.Open, FileAccess.Read, FileShare.Read);
        return new DataFile(handle, RandomAccess.GetLength(handle), shown, field);
    }
}
