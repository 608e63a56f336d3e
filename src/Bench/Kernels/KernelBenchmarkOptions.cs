namespace DeepEverest.Bench.Kernels;

/// <summary>
/// Sizes and repetitions of <see cref="KernelBenchmark.Run"/>. The defaults reproduce the numbers
/// in docs/kernels.md; <see cref="Quick"/> is a CI smoke run.
/// </summary>
public sealed record KernelBenchmarkOptions
{
    /// <summary>n, inputs per kernel call. Default 70,000.</summary>
    public int Inputs { get; init; } = 70_000;

    /// <summary>Group sizes g for the bounds and cost kernels. Default {1, 3, 10, 64, 512}.</summary>
    public IReadOnlyList<int> GroupSizes { get; init; } = [1, 3, 10, 64, 512];

    /// <summary>P, partitions per neuron (a power of two in [2, 256]). Default 16.</summary>
    public int Partitions { get; init; } = 16;

    /// <summary>Fraction of inputs in each neuron's MAI. Default 0.01.</summary>
    public double MaiRatio { get; init; } = 0.01;

    /// <summary>k of the top-k selection. Default 20.</summary>
    public int K { get; init; } = 20;

    /// <summary>Neurons in the benchmarked build block. Default 256.</summary>
    public int BuildNeurons { get; init; } = 256;

    /// <summary>Neurons of the layer the build time is extrapolated to. Default 4096.</summary>
    public int LayerNeurons { get; init; } = 4096;

    /// <summary>Untimed runs before measuring each case. Default 2.</summary>
    public int Warmups { get; init; } = 2;

    /// <summary>
    /// Minimum warm-up time per case, in seconds (tiered compilation promotes hot methods only after
    /// a quiet period of about 100 ms). Default 0.3.
    /// </summary>
    public double MinWarmupSeconds { get; init; } = 0.3;

    /// <summary>Timed runs per case; the report gives their median and minimum. Default 7.</summary>
    public int Repetitions { get; init; } = 7;

    /// <summary>Bytes of the array copied to measure memory bandwidth. Default 256 MiB.</summary>
    public int BandwidthBytes { get; init; } = 256 << 20;

    /// <summary>Copies of the bandwidth measurement; the best counts. Default 5.</summary>
    public int BandwidthRepetitions { get; init; } = 5;

    /// <summary>Seed of the generated data. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The full run (the defaults).</summary>
    public static KernelBenchmarkOptions Default { get; } = new();

    /// <summary>
    /// A smoke run for CI: the same sizes with one warm-up and one timed run each and a 32 MiB
    /// bandwidth probe. Figures are noisy; use them only to see that everything runs.
    /// </summary>
    public static KernelBenchmarkOptions Quick { get; } = new()
    {
        Warmups = 1,
        MinWarmupSeconds = 0,
        Repetitions = 1,
        BandwidthBytes = 32 << 20,
        BandwidthRepetitions = 2,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(Inputs >= 1, nameof(Inputs), "must be >= 1");
        Check(GroupSizes.Count > 0 && GroupSizes.All(g => g >= 1), nameof(GroupSizes), "must be non-empty and >= 1");
        Check(Partitions is >= 2 and <= 256 && (Partitions & (Partitions - 1)) == 0, nameof(Partitions), "must be a power of two in [2, 256]");
        Check(MaiRatio is >= 0 and <= 1, nameof(MaiRatio), "must lie in [0, 1]");
        Check(K >= 1, nameof(K), "must be >= 1");
        Check(BuildNeurons >= 1 && LayerNeurons >= 1, nameof(BuildNeurons), "neuron counts must be >= 1");
        Check(Warmups >= 0 && Repetitions >= 1 && MinWarmupSeconds >= 0, nameof(Repetitions), "need >= 0 warm-ups and warm-up seconds, and >= 1 repetition");
        Check(BandwidthBytes >= 1 << 20 && BandwidthRepetitions >= 1, nameof(BandwidthBytes), "need >= 1 MiB and >= 1 repetition");
    }

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}.", name);
        }
    }
}
