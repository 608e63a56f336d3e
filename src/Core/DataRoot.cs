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
        return refusal switch
        {
            null => new DataFile(handle!, length, shown, field),
            ConfinedOpener.Refusal.Outside => throw Outside(field, shown),
            ConfinedOpener.Refusal.Missing => throw DeepEverestException.NotFound($"{field}: no file '{shown}' under the data root; paths are relative to the data root."),
            ConfinedOpener.Refusal.NotRegular => throw NotRegular(field, shown),
            ConfinedOpener.Refusal.LinkLoop => throw DeepEverestException.Invalid(
                $"{field}: '{shown}' goes through more than {ConfinedOpener.MaxLinks} symbolic links (a loop?)."),
            ConfinedOpener.Refusal.Denied => throw DeepEverestException.Invalid($"{field}: the service may not read '{shown}' (permission denied)."),
            _ => throw DeepEverestException.Invalid($"{field}: a component of '{shown}' is longer than the filesystem allows."),
        };
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

    private static DeepEverestException Outside(string field, string shown) =>
        DeepEverestException.Invalid(
            $"{field}: '{shown}' leads outside the data root; copy the file under the data root (symbolic links must stay inside it).");

    private static DeepEverestException NotRegular(string field, string shown) =>
        DeepEverestException.Invalid($"{field}: '{shown}' is not a regular file (a directory, pipe, socket or device); name a file under the data root.");

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
