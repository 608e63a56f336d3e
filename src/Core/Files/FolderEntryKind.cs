namespace DeepEverest.Core.Files;

/// <summary>What a folder entry resolves to, its symbolic links followed inside the data root.</summary>
public enum FolderEntryKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A folder.</summary>
    Folder,

    /// <summary>A FIFO, socket or device: never read.</summary>
    Other,
}
