using System.Reflection;
using DeepEverest.Core.Query;

namespace DeepEverest.Bench;

/// <summary>
/// What <see cref="ResNetBenchmark"/> runs: the pretrained ImageNet ResNet18 on Fashion-MNIST
/// resized to 3x224x224, three ReLU layers, the demo benchmark's query mix plus whole channels and
/// 3x3 patches, adaptive against fixed verification batches, ReprocessAll on a few targets.
/// <see cref="Full"/> is the committed run (hours on 2 cores); <see cref="Quick"/> a smoke run.
/// </summary>
public sealed record ResNetBenchmarkOptions : IDataRootOptions
{
    /// <summary>Fashion-MNIST images used, train then test. Default 10,000.</summary>
    public int Inputs { get; init; } = 10_000;

    /// <summary>Directory of the idx .gz files of Fashion-MNIST.</summary>
    public string DatasetDirectory { get; init; } = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The package's <c>DnnImageModels</c> directory (holding <c>ResNet18Onnx/ResNet18.onnx</c> and
    /// <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>). Default: where restore put it.
    /// </summary>
    public string PackageDirectory { get; init; } = DefaultPackageDirectory;

    /// <summary>Directory for the benchmark's store (deleted at the end unless <see cref="KeepData"/>).</summary>
    public string DataRoot { get; init; } = "bench/tmp/resnet18";

    /// <summary>Keep <see cref="DataRoot"/> after the run.</summary>
    public bool KeepData { get; init; }

    /// <summary>
    /// The layers, as (role, ONNX tensor name): the last ReLU of the first, second and last stage
    /// (56x56x64, 28x28x128, 7x7x512).
    /// </summary>
    public IReadOnlyList<(string Role, string Name)> Layers { get; init; } =
    [
        ("early", "ReLU283_Output_0"),
        ("middle", "ReLU315_Output_0"),
        ("late", "ReLU393_Output_0"),
    ];

    /// <summary>P of the indexes. Default 16.</summary>
    public int Partitions { get; init; } = 16;

    /// <summary>MAI ratio of the indexes. Default 0.01.</summary>
    public double Ratio { get; init; } = 0.01;

    /// <summary>
    /// Seeded random targets per layer. Default 4: 96 queries per layer, each run with adaptive and
    /// with fixed batches, which keeps the full run of 10,000 inputs to a few hours on 2 cores.
    /// </summary>
    public int Targets { get; init; } = 4;

    /// <summary>ReprocessAll runs per layer (its cost depends on neither type, group nor index). Default 2.</summary>
    public int ReprocessTargets { get; init; } = 2;

    /// <summary>Sizes of the target's top-neuron groups. Default {1, 3, 10}.</summary>
    public IReadOnlyList<int> TopGroupSizes { get; init; } = [1, 3, 10];

    /// <summary>Size of the random group. Default 10.</summary>
    public int RandomGroupSize { get; init; } = 10;

    /// <summary>k. Default 20.</summary>
    public int K { get; init; } = 20;

    /// <summary>The fixed verification batch compared with adaptive batches (and their maximum). Default <see cref="QueryLimits.DefaultBatchSize"/> (64).</summary>
    public int BatchSize { get; init; } = QueryLimits.DefaultBatchSize;

    /// <summary>MiB of activations an index build keeps in memory before spilling. Default 4096.</summary>
    public long BuildMemoryBudgetMb { get; init; } = 4096;

    /// <summary>Seed of every random choice. Default 20210901.</summary>
    public int Seed { get; init; } = 20210901;

    /// <summary>
    /// Store the images as uint8 (150 KB each) with the package's <c>ResNetPreprocess.onnx</c>
    /// composed in front of the model at registration, instead of the model's float32 inputs
    /// (600 KB each). Default false.
    /// </summary>
    public bool UInt8Inputs { get; init; }

    /// <summary>True for the smoke run.</summary>
    public bool IsQuick { get; init; }

    /// <summary>The committed experiment (several hours on 2 cores).</summary>
    public static ResNetBenchmarkOptions Full { get; } = new();

    /// <summary>The smoke run: 400 inputs, 2 targets, 1 ReprocessAll per layer; exactness is checked as in the full run.</summary>
    public static ResNetBenchmarkOptions Quick { get; } = new()
    {
        Inputs = 400,
        Targets = 2,
        ReprocessTargets = 1,
        IsQuick = true,
    };

    /// <summary>Where restore put the package's models (compiled in by the Bench project).</summary>
    public static string DefaultPackageDirectory =>
        typeof(ResNetBenchmarkOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ResNet18Package")?.Value ?? "";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(Inputs is >= 100 and <= 70_000, nameof(Inputs), "must lie in [100, 70000]");
        Check(Layers.Count > 0, nameof(Layers), "must name at least one layer");
        Check(Targets >= 1 && ReprocessTargets >= 1 && ReprocessTargets <= Targets, nameof(Targets), "must be >= 1, with ReprocessTargets in [1, Targets]");
        Check(K >= 1 && K < Inputs, nameof(K), "must lie in [1, Inputs)");
        Check(BatchSize is >= 1 and <= QueryLimits.MaxBatchSize, nameof(BatchSize), $"must lie in [1, {QueryLimits.MaxBatchSize}]");
    }

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}.", name);
        }
    }
}
