namespace DeepEverest.Core.Files;

/// <summary>One entry of a folder under a data root, as <see cref="DataRoot.ListFolder"/> found it.</summary>
/// <param name="Name">The entry's name in its folder (no slash).</param>
/// <param name="Kind">What the entry resolves to: symbolic links are followed inside the data root.</param>
/// <param name="Length">Size in bytes of a regular file; 0 otherwise.</param>
public sealed record FolderEntry(string Name, FolderEntryKind Kind, long Length);
