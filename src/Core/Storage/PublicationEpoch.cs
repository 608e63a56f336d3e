using System.Globalization;

namespace DeepEverest.Core.Storage;

/// <summary>
/// The primary's publication signal to secondaries: <c>&lt;data root&gt;/store.epoch</c> holds a
/// number that grows with every publication (the store's last sequence number, in decimal),
/// written after the publishing batch is durable. A secondary that reads E and then catches up
/// sees everything published up to E, so it catches up on demand only when the file is ahead of
/// what it has followed: a query that starts after a build returned sees the build. A plain file
/// on the shared volume works wherever the two services share the data root (processes, pods).
/// </summary>
internal static class PublicationEpoch
{
    /// <summary>File name under the data root.</summary>
    public const string FileName = "store.epoch";

    /// <summary>The epoch last published under <paramref name="dataRoot"/>; 0 when none can be read.</summary>
    public static ulong Read(string dataRoot)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(dataRoot, FileName));
            return ulong.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong epoch) ? epoch : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Replaces the file atomically (write, then rename over it). Callers serialize writes.</summary>
    public static void Write(string dataRoot, ulong epoch)
    {
        string path = Path.Combine(dataRoot, FileName);
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, epoch.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temp, path, overwrite: true);
    }
}
