namespace DeepEverest.Bench.Scale;

/// <summary>
/// What <see cref="ScaleBenchmark"/> runs: the demo model's middle and late layers over augmented
/// Fashion-MNIST (<see cref="ScaleData"/>) at growing sizes, on one store and on input-range shard
/// stores. <see cref="Full"/> is the committed experiment (70,000, 280,000 and 1,050,000 inputs;
/// hours on 2 cores); <see cref="Quick"/> a smoke run that checks exactness the same way.
/// </summary>
public sealed record ScaleBenchmarkOptions : IDataRootOptions
{
    /// <summary>Dataset sizes, ascending; the largest is also split into shards. Default 70,000, 280,000 and 1,050,000.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [70_000, 280_000, 1_050_000];

    /// <summary>Input-range shards of the largest size (0: none). Default 4.</summary>
    public int Shards { get; init; } = 4;

    /// <summary>The layers, as (role, ONNX tensor name). Default the demo model's middle and late ReLUs.</summary>
    public IReadOnlyList<(string Role, string Name)> Layers { get; init; } =
    [
        ("middle", "/block3/block3.2/Relu_output_0"),
        ("late", "/block4/block4.5/Relu_output_0"),
    ];

    /// <summary>The demo model.</summary>
    public string ModelPath { get; init; } = "models/demo/fashion_vgg.onnx";

    /// <summary>Directory of the idx .gz files of Fashion-MNIST.</summary>
    public string DatasetDirectory { get; init; } = "/usr/share/datasets/fashion-mnist";

    /// <summary>Directory for the generated data and the stores (deleted at the end unless <see cref="KeepData"/>).</summary>
    public string DataRoot { get; init; } = "bench/tmp/scale";

    /// <summary>Keep <see cref="DataRoot"/> after the run.</summary>
    public bool KeepData { get; init; }

    /// <summary>Seeded random targets per size and layer (drawn among the first 70,000 ids, present at every size). Default 10.</summary>
    public int Targets { get; init; } = 10;

    /// <summary>ReprocessAll runs per size and layer (it infers every input: minutes each at 1M). Default 2.</summary>
    public int ReprocessRuns { get; init; } = 2;

    /// <summary>Sizes of the target's top-neuron groups. Default {3, 10}, as the router benchmark.</summary>
    public IReadOnlyList<int> TopGroupSizes { get; init; } = [3, 10];

    /// <summary>Size of the random group. Default 10.</summary>
    public int RandomGroupSize { get; init; } = 10;

    /// <summary>k. Default 20.</summary>
    public int K { get; init; } = 20;

    /// <summary>P of the indexes. Default 16.</summary>
    public int Partitions { get; init; } = 16;

    /// <summary>MAI ratio of the indexes. Default 0.01.</summary>
    public double Ratio { get; init; } = 0.01;

    /// <summary>MiB of activations an index build keeps in memory before spilling. Default 2048.</summary>
    public long BuildMemoryBudgetMb { get; init; } = 2048;

    /// <summary>Seed of every random choice. Default 20210901.</summary>
    public int Seed { get; init; } = 20210901;

    /// <summary>True for the smoke run.</summary>
    public bool IsQuick { get; init; }

    /// <summary>The committed experiment.</summary>
    public static ScaleBenchmarkOptions Full { get; } = new();

    /// <summary>The smoke run: 2,000 and 4,000 inputs (the second under augmentation), 2 shards, 2 targets.</summary>
    public static ScaleBenchmarkOptions Quick { get; } = new()
    {
        Sizes = [2_000, 4_000],
        Shards = 2,
        Targets = 2,
        ReprocessRuns = 1,
        BuildMemoryBudgetMb = 256,
        IsQuick = true,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(Sizes.Count > 0 && Sizes.All(s => s >= 100 && s <= ScaleData.MaxInputs) && Sizes.SequenceEqual(Sizes.Order()), nameof(Sizes), $"must be ascending sizes in [100, {ScaleData.MaxInputs}]");
        Check(Shards == 0 || (Shards >= 2 && Shards <= 64 && Sizes[^1] / Shards > K), nameof(Shards), "must be 0 or in [2, 64], with more than K inputs per shard");
        Check(Layers.Count > 0, nameof(Layers), "must name at least one layer");
        Check(Targets >= 1 && ReprocessRuns >= 0 && ReprocessRuns <= Targets, nameof(Targets), "must be >= 1, with ReprocessRuns in [0, Targets]");
        Check(K >= 1 && K < Sizes[0], nameof(K), "must lie in [1, smallest size)");
    }

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}.", name);
        }
    }
}
