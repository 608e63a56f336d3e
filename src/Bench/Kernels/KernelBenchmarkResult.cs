namespace DeepEverest.Bench.Kernels;

/// <summary>One measured case of <see cref="KernelBenchmark"/>.</summary>
/// <param name="Kernel">The <see cref="DeepEverest.Kernels.IKernels"/> method, e.g. "GroupBounds".</param>
/// <param name="Case">The case, e.g. "n=70000 g=64 P=16".</param>
/// <param name="MedianSeconds">Median wall time of one call, in seconds.</param>
/// <param name="MinSeconds">Fastest call, in seconds.</param>
/// <param name="Bytes">Bytes the call must move at least (inputs read + outputs written), as defined per kernel in docs/kernels.md.</param>
/// <param name="BandwidthFraction">Effective bytes per second (at the median) over the measured copy bandwidth.</param>
/// <param name="Note">Extra information, e.g. an extrapolated time; empty when none.</param>
public sealed record KernelBenchmarkResult(
    string Kernel,
    string Case,
    double MedianSeconds,
    double MinSeconds,
    long Bytes,
    double BandwidthFraction,
    string Note)
{
    /// <summary>Effective bytes per second at the median time.</summary>
    public double BytesPerSecond => Bytes / MedianSeconds;
}
