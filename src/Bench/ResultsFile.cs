using System.Text.Json;
using System.Text.Json.Serialization;
using DeepEverest.Bench.Results;

namespace DeepEverest.Bench;

/// <summary>Reads and writes <see cref="PaperBenchmarkResults"/> as indented camelCase JSON.</summary>
public static class ResultsFile
{
    private static readonly JsonSerializerOptions _json = new()
    {
        WriteIndented = true,
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

    /// <summary>Reads a results file written by <see cref="Write"/>.</summary>
    public static PaperBenchmarkResults Read(string path) =>
        JsonSerializer.Deserialize<PaperBenchmarkResults>(File.ReadAllText(path), _json)
        ?? throw new InvalidDataException($"{path} holds no results.");
}
