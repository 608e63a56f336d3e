using System.Globalization;
using System.Text;

namespace DeepEverest.Bench.Kernels;

/// <summary>The outcome of <see cref="KernelBenchmark.Run"/>: machine, bandwidth and one row per case.</summary>
/// <param name="Backend">The kernels' <see cref="DeepEverest.Kernels.IKernels.Name"/>.</param>
/// <param name="Machine">Processor, core count, OS, runtime and vector support, in words.</param>
/// <param name="CopyBandwidthBytesPerSecond">Best measured array copy rate, bytes read + written per second, on all cores.</param>
/// <param name="Options">The options of the run.</param>
/// <param name="Results">One row per measured case.</param>
public sealed record KernelBenchmarkReport(
    string Backend,
    string Machine,
    double CopyBandwidthBytesPerSecond,
    KernelBenchmarkOptions Options,
    IReadOnlyList<KernelBenchmarkResult> Results)
{
    /// <summary>A markdown section: machine, bandwidth, and a table of every case.</summary>
    public string ToMarkdown()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Backend: `{Backend}`  ");
        sb.AppendLine(c, $"Machine: {Machine}  ");
        sb.AppendLine(c, $"Memory bandwidth (array copy, read + written, all cores, best of {Options.BandwidthRepetitions}): {CopyBandwidthBytesPerSecond / 1e9:F1} GB/s  ");
        sb.AppendLine(c, $"Timing: {Options.Warmups} warm-up(s), median and min of {Options.Repetitions} run(s)");
        sb.AppendLine();
        sb.AppendLine("| kernel | case | median | min | bytes | GB/s | % of bandwidth | note |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (KernelBenchmarkResult r in Results)
        {
            sb.AppendLine(c, $"| {r.Kernel} | {r.Case} | {FormatTime(r.MedianSeconds)} | {FormatTime(r.MinSeconds)} | {FormatBytes(r.Bytes)} | {r.BytesPerSecond / 1e9:F2} | {r.BandwidthFraction * 100:F1}% | {r.Note} |");
        }

        return sb.ToString();
    }

    private static string FormatTime(double seconds) => seconds switch
    {
        >= 1 => string.Create(CultureInfo.InvariantCulture, $"{seconds:F2} s"),
        >= 1e-3 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F2} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F1} µs"),
    };

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB"),
        >= 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
