using System.Text.Json;
using System.Text.Json.Serialization;
using DeepEverest.Bench.Results;
using DeepEverest.Bench.Scale;
using DeepEverest.Bench.Text;

namespace DeepEverest.Bench;

/// <summary>
/// Reads and writes benchmark results (<see cref="PaperBenchmarkResults"/>, <see cref="ResNetBenchmarkResults"/>)
/// as camelCase JSON, not indented: a full demo run holds over 11,000 query records with their
/// profiles, and indentation alone made its committed file 1.6x larger (6.4 MB against 4.2 MB).
/// </summary>
public static class ResultsFile
{
    private static readonly JsonSerializerOptions _json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The file name of a run: <c>&lt;date&gt;-&lt;machine&gt;.json</c>, with <c>-quick</c> for smoke runs.</summary>
    public static string FileName(PaperBenchmarkResults results) =>
        $"{results.Date[..10]}-{results.MachineName}{(results.Quick ? "-quick" : "")}.json";

    /// <summary>Writes <paramref name="results"/> to <paramref name="path"/>, creating its directory.</summary>
    public static void Write(PaperBenchmarkResults results, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(results, _json) + "\n");
    }

    /// <summary>The file name of a ResNet18 run: <c>&lt;date&gt;-&lt;machine&gt;-resnet18.json</c>.</summary>
    public static string FileName(ResNetBenchmarkResults results) =>
        $"{results.Date[..10]}-{results.MachineName}-resnet18{(results.Quick ? "-quick" : "")}.json";

    /// <summary>Writes ResNet18 results like <see cref="Write(PaperBenchmarkResults, string)"/>.</summary>
    public static void Write(ResNetBenchmarkResults results, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(results, _json) + "\n");
    }

    /// <summary>Whether a results file holds a ResNet18 run (it names a reference pass per layer).</summary>
    public static bool IsResNet(string path) => File.ReadAllText(path).Contains("\"referencePasses\"", StringComparison.Ordinal);

    /// <summary>Reads a ResNet18 results file.</summary>
    public static ResNetBenchmarkResults ReadResNet(string path) =>
        JsonSerializer.Deserialize<ResNetBenchmarkResults>(File.ReadAllText(path), _json)
        ?? throw new InvalidDataException($"{path} holds no results.");

    /// <summary>The file name of a scale run: <c>&lt;date&gt;-&lt;machine&gt;-scale.json</c>.</summary>
    public static string FileName(ScaleBenchmarkResults results) =>
        $"{results.Date[..10]}-{results.MachineName}-scale{(results.Quick ? "-quick" : "")}.json";

    /// <summary>Writes scale results like <see cref="Write(PaperBenchmarkResults, string)"/>.</summary>
    public static void Write(ScaleBenchmarkResults results, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(results, _json) + "\n");
    }

    /// <summary>Reads a scale results file.</summary>
    public static ScaleBenchmarkResults ReadScale(string path) =>
        JsonSerializer.Deserialize<ScaleBenchmarkResults>(File.ReadAllText(path), _json)
        ?? throw new InvalidDataException($"{path} holds no results.");

    /// <summary>The file name of a text run: <c>&lt;date&gt;-&lt;machine&gt;-text.json</c>.</summary>
    public static string FileName(TextBenchmarkResults results) =>
        $"{results.Date[..10]}-{results.MachineName}-text{(results.Quick ? "-quick" : "")}.json";

    /// <summary>Writes text results like <see cref="Write(PaperBenchmarkResults, string)"/>.</summary>
    public static void Write(TextBenchmarkResults results, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(results, _json) + "\n");
    }

    /// <summary>Whether a results file holds a text run (it describes its corpus).</summary>
    public static bool IsText(string path) => File.ReadAllText(path).Contains("\"corpus\":{", StringComparison.Ordinal);

    /// <summary>Reads a text results file.</summary>
    public static TextBenchmarkResults ReadText(string path) =>
        JsonSerializer.Deserialize<TextBenchmarkResults>(File.ReadAllText(path), _json)
        ?? throw new InvalidDataException($"{path} holds no results.");

    /// <summary>Reads a results file written by <see cref="Write(PaperBenchmarkResults, string)"/>.</summary>
    public static PaperBenchmarkResults Read(string path) =>
        JsonSerializer.Deserialize<PaperBenchmarkResults>(File.ReadAllText(path), _json)
        ?? throw new InvalidDataException($"{path} holds no results.");
}
