namespace DeepEverest.Core;

/// <summary>Resolves user-given paths under a service's data root.</summary>
public static class DataRoot
{
    /// <summary>
    /// The full path of <paramref name="path"/> (relative to the data root, or absolute) if it lies
    /// inside <paramref name="root"/>; an InvalidArgument failure otherwise, so a client can never
    /// make a service read outside its data root (symbolic links included).
    /// </summary>
    public static string Resolve(string root, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw DeepEverestException.Invalid("A path is required.");
        }

        string fullRoot = Path.GetFullPath(root);
        string full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(fullRoot, path));
        full = ResolveLinks(full);
        string resolvedRoot = ResolveLinks(fullRoot);
        string prefix = resolvedRoot.EndsWith(Path.DirectorySeparatorChar) ? resolvedRoot : resolvedRoot + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw DeepEverestException.Invalid($"Path '{path}' is outside the data root {fullRoot}; copy or link the file under it.");
        }

        return full;
    }

    private static string ResolveLinks(string path)
    {
        var info = new FileInfo(path);
        FileSystemInfo? target = info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true) : null;
        if (target is not null)
        {
            return Path.GetFullPath(target.FullName);
        }

        var dir = new DirectoryInfo(path);
        FileSystemInfo? dirTarget = dir.Exists ? dir.ResolveLinkTarget(returnFinalTarget: true) : null;
        return dirTarget is not null ? Path.GetFullPath(dirTarget.FullName) : path;
    }
}
