using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepEverest.Bench;

/// <summary>Describes the machine a benchmark ran on.</summary>
internal static class MachineInfo
{
    /// <summary>Processor, cores, memory, OS and runtime, in words.</summary>
    public static string Describe()
    {
        string cpu = Cpu() ?? RuntimeInformation.ProcessArchitecture.ToString();
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        string vectors = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128 or less";
        return $"{cpu}, {Environment.ProcessorCount} cores, {memory / (1L << 30)} GiB, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {vectors}";
    }

    /// <summary>A short file-name-safe name: cores and processor family, e.g. "2core-amd-epyc".</summary>
    public static string ShortName()
    {
        string cpu = (Cpu() ?? RuntimeInformation.ProcessArchitecture.ToString()).ToLowerInvariant();
        var slug = new string(cpu.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        while (slug.Contains("--", StringComparison.Ordinal))
        {
            slug = slug.Replace("--", "-", StringComparison.Ordinal);
        }

        slug = slug.Trim('-');
        if (slug.Length > 24)
        {
            slug = slug[..24].Trim('-');
        }

        return $"{Environment.ProcessorCount}core-{slug}";
    }

    /// <summary>The 1, 5 and 15 minute load averages, or "unknown".</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string? Cpu()
    {
        try
        {
            string? line = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                : null;
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
