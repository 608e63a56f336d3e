namespace DeepEverest.Bench;

/// <summary>
/// What <see cref="PaperBenchmark"/> runs: data, layers, query counts, the index grid and the
/// workload. <see cref="Full"/> is the committed experiment; <see cref="Quick"/> the CI smoke run.
/// </summary>
public sealed record PaperBenchmarkOptions : IDataRootOptions
{
    /// <summary>Fashion-MNIST images used, train then test (1..70,000). Default 70,000.</summary>
    public int Inputs { get; init; } = 70_000;

    /// <summary>Directory of the idx .gz files of Fashion-MNIST.</summary>
    public string DatasetDirectory { get; init; } = "/usr/share/datasets/fashion-mnist";

    /// <summary>Path of the demo ONNX model.</summary>
    public string ModelPath { get; init; } = "models/demo/fashion_vgg.onnx";

    /// <summary>
    /// Directory for the benchmark's stores (created, and deleted at the end unless
    /// <see cref="KeepData"/>). Needs about 5 GB free for the full run.
    /// </summary>
    public string DataRoot { get; init; } = "bench/tmp/paper";

    /// <summary>Keep <see cref="DataRoot"/> after the run. Default false.</summary>
    public bool KeepData { get; init; }

    /// <summary>The layers, as (role, ONNX tensor name): early, middle and late ReLU outputs.</summary>
    public IReadOnlyList<(string Role, string Name)> Layers { get; init; } =
    [
        ("early", "/block2/block2.2/Relu_output_0"),
        ("middle", "/block3/block3.2/Relu_output_0"),
        ("late", "/block4/block4.5/Relu_output_0"),
    ];

    /// <summary>The index grid: P values. Default {8, 16, 32, 64}.</summary>
    public IReadOnlyList<int> Partitions { get; init; } = [8, 16, 32, 64];

    /// <summary>The index grid: MAI ratios. Default {0, 0.01, 0.05}.</summary>
    public IReadOnlyList<double> Ratios { get; init; } = [0, 0.01, 0.05];

    /// <summary>P of the default index (all targets run there; the workload uses it). Default 16.</summary>
    public int DefaultPartitions { get; init; } = 16;

    /// <summary>Ratio of the default index. Default 0.01.</summary>
    public double DefaultRatio { get; init; } = 0.01;

    /// <summary>Seeded random targets at the default grid point. Default 20.</summary>
    public int Targets { get; init; } = 20;

    /// <summary>
    /// Targets (the first ones of the same list) of NTA at the default grid point. NTA infers up to
    /// most of the dataset per query (the 2026-11-25 run at the default index: medians 0.02-0.19x a
    /// ReprocessAll per layer and type, the slowest 0.65-1.4x) and dominates the run time: with 20
    /// targets and 5 at the other grid points, a full run on 2 AVX2 cores had done two of three
    /// layers after 87 minutes; the run before large groups took 56 minutes on 2 cores.
    /// Default 8.
    /// </summary>
    public int NtaTargets { get; init; } = 8;

    /// <summary>Targets (the first ones of the same list) of the bounds strategy at other grid points. Default 20.</summary>
    public int GridTargets { get; init; } = 20;

    /// <summary>Targets of NTA at the other grid points (see <see cref="NtaTargets"/>). Default 2.</summary>
    public int GridNtaTargets { get; init; } = 2;

    /// <summary>
    /// Targets of ReprocessAll per layer and query type, each with one group (rotating through the
    /// group kinds): its cost does not depend on the group or the index. Default 3.
    /// </summary>
    public int ReprocessTargets { get; init; } = 3;

    /// <summary>Sizes of the target's top-neuron groups. Default {1, 3, 10}.</summary>
    public IReadOnlyList<int> TopGroupSizes { get; init; } = [1, 3, 10];

    /// <summary>Size of the random group. Default 10.</summary>
    public int RandomGroupSize { get; init; } = 10;

    /// <summary>k. Default 20.</summary>
    public int K { get; init; } = 20;

    /// <summary>Queries of the simulated interpretation session. Default 100.</summary>
    public int WorkloadQueries { get; init; } = 100;

    /// <summary>MiB of our activation cache in the workload. Default 512 (the service default).</summary>
    public long WorkloadCacheMb { get; init; } = 512;

    /// <summary>MiB of activations an index build keeps in memory before spilling. Default 4096.</summary>
    public long BuildMemoryBudgetMb { get; init; } = 4096;

    /// <summary>Seed of every random choice. Default 20210901.</summary>
    public int Seed { get; init; } = 20210901;

    /// <summary>True for the smoke run (recorded in the results).</summary>
    public bool IsQuick { get; init; }

    /// <summary>The full experiment of the issue (about an hour on 2 cores).</summary>
    public static PaperBenchmarkOptions Full { get; } = new();

    /// <summary>
    /// The CI smoke run: 5,000 inputs, all three layers, 2 targets, 2 grid points, 1 ReprocessAll
    /// target, 10 workload queries. Timings are meaningless; exactness is checked as in the full run.
    /// </summary>
    public static PaperBenchmarkOptions Quick { get; } = new()
    {
        Inputs = 5_000,
        Partitions = [8, 16],
        Ratios = [0.01],
        Targets = 2,
        NtaTargets = 2,
        GridTargets = 2,
        GridNtaTargets = 2,
        ReprocessTargets = 1,
        WorkloadQueries = 10,
        IsQuick = true,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(Inputs is >= 100 and <= 70_000, nameof(Inputs), "must lie in [100, 70000]");
        Check(Layers.Count > 0, nameof(Layers), "must name at least one layer");
        Check(Partitions.Count > 0 && Ratios.Count > 0, nameof(Partitions), "the grid must not be empty");
        Check(Targets >= 1 && GridTargets >= 1 && GridNtaTargets >= 0 && ReprocessTargets >= 1, nameof(Targets), "target counts must be >= 1 (NTA grid targets >= 0)");
        Check(NtaTargets >= 0 && NtaTargets <= Targets && GridTargets <= Targets && GridNtaTargets <= Targets && ReprocessTargets <= Targets, nameof(GridTargets), "cannot exceed Targets");
        Check(K >= 1 && K < Inputs, nameof(K), "must lie in [1, Inputs)");
        Check(WorkloadQueries >= 1, nameof(WorkloadQueries), "must be >= 1");
    }

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}.", name);
        }
    }
}
