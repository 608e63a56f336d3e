using System.Globalization;

namespace DeepEverest.Bench.Scale;

/// <summary>
/// The process's peak resident set size between two points of a run, from Linux's
/// <c>/proc/self/status</c> (VmHWM), which writing 5 to <c>/proc/self/clear_refs</c> resets to the
/// current RSS. Elsewhere, or where the reset is refused, <see cref="Reset"/> returns false and
/// the peak is the process's since it started (reported as such).
/// </summary>
internal static class PeakMemory
{
    /// <summary>Resets the peak to the current RSS; false when that is not possible here.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The peak RSS in MiB since the last <see cref="Reset"/> (or the start), or the managed view where /proc is missing.</summary>
    public static double PeakMib()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    string kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return Math.Round(long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0, 1);
                }
            }
        }
        catch (IOException)
        {
        }

        return Math.Round(Environment.WorkingSet / 1048576.0, 1);
    }
}
