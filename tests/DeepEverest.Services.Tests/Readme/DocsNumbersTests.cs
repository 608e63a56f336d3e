using System.Globalization;
using System.Text.Json;
using DeepEverest.Core.Indexing;
using DeepEverest.Services.Tests.Infrastructure;

namespace DeepEverest.Services.Tests.Readme;

/// <summary>
/// The storage and build figures the README and docs quote agree with the committed benchmark
/// results they come from (a number copied by hand goes stale when an index format changes: the
/// README once showed the index fraction from before channel summaries).
/// </summary>
public sealed class DocsNumbersTests
{
    private static readonly string[] _results =
    [
        "bench/results/2026-11-26-2core-amd-epyc.json",
        "bench/results/2026-11-25-2core-amd-epyc-resnet18.json",
    ];

    // The results files are parsed once for both tests.
    private static readonly Lazy<IndexRow[]> _defaultIndexes = new(() => DefaultIndexes().ToArray());

    [Fact]
    public void SizingTable_EveryMeasuredRow_EqualsTheCommittedResults()
    {
        string[] lines = ReadDoc("docs/sizing.md").Split('\n');
        IndexRow[] rows = _defaultIndexes.Value;

        Assert.Equal(6, rows.Length);
        foreach (IndexRow row in rows)
        {
            string line = Assert.Single(lines, l => l.Contains($"| `{row.Layer}` |", StringComparison.Ordinal));
            string[] cells = line.Split('|', StringSplitOptions.TrimEntries);
            // | model | layer | shape | inputs | written | on disk | build per 1,000 inputs |
            Assert.Equal(row.Shape, cells[3]);
            Assert.Equal(row.Inputs.ToString("N0", CultureInfo.InvariantCulture), cells[4]);
            Assert.Equal(Percent(row.IndexFraction), cells[5]);
            Assert.Equal(Percent(row.DiskFraction), cells[6]);
            Assert.Equal($"{row.WallMs / row.Inputs:F2} s", cells[7]);
            Assert.Equal(row.IndexFraction, Formula(row), 4);
        }
    }

    [Fact]
    public void Readme_IndexShareAndSampleOutput_EqualTheCommittedResults()
    {
        string readme = ReadDoc("README.md");
        IndexRow[] rows = _defaultIndexes.Value;
        IndexRow[] demo = rows.Where(r => r.Source == _results[0]).ToArray();

        Assert.Contains($"takes {Range(rows.Select(r => r.IndexFraction))} of the size of the layer's float32", readme, StringComparison.Ordinal);
        Assert.Contains($"at the default index ({Range(demo.Select(r => r.DiskFraction))} of full materialization on disk)", readme.ReplaceLineEndings(" "), StringComparison.Ordinal);
        IndexRow sample = Assert.Single(demo, r => r.Layer == "/block3/block3.2/Relu_output_0");
        string fraction = $"\"storageFraction\":{sample.IndexFraction.ToString("R", CultureInfo.InvariantCulture)}";
        Assert.Contains(fraction, readme, StringComparison.Ordinal);
        Assert.Contains(fraction, ReadDoc("docs/http-api.md"), StringComparison.Ordinal);
        Assert.Contains($"\"indexBytes\":{sample.IndexBytes}", ReadDoc("docs/http-api.md"), StringComparison.Ordinal);
        Assert.Contains($"= {Percent(sample.IndexFraction)} of full", ReadDoc("docs/performance.md"), StringComparison.Ordinal);
    }

    /// <summary>b/32 + 2·ratio + 2P/n + 2·S/N (docs/sizing.md), S the segments the index builder picks for the shape.</summary>
    private static double Formula(IndexRow row)
    {
        long[] shape = row.Shape.Split('x').Select(long.Parse).ToArray();
        double summaries = SummaryLayout.Choose(shape)?.StorageFraction ?? 0;
        return (Math.Log2(row.Partitions) / 32) + (2 * row.Ratio) + (2.0 * row.Partitions / row.Inputs) + summaries;
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Range(IEnumerable<double> fractions)
    {
        double[] all = fractions.ToArray();
        return $"{(all.Min() * 100).ToString("F1", CultureInfo.InvariantCulture)}-{Percent(all.Max())}";
    }

    private static string ReadDoc(string path) => File.ReadAllText(Path.Combine(TestData.RepoRoot, path));

    /// <summary>The default index (P = 16, ratio = 0.01) of every layer in the committed results.</summary>
    private static IEnumerable<IndexRow> DefaultIndexes()
    {
        foreach (string source in _results)
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData.RepoRoot, source)));
            JsonElement root = json.RootElement;
            int inputs = root.GetProperty("inputs").GetInt32();
            Dictionary<string, JsonElement> layers = root.GetProperty("layers").EnumerateArray()
                .ToDictionary(l => l.GetProperty("role").GetString()!, l => l.Clone());
            foreach (JsonElement index in root.GetProperty("indexes").EnumerateArray())
            {
                if (index.GetProperty("partitions").GetInt32() != 16 || index.GetProperty("ratio").GetDouble() != 0.01)
                {
                    continue;
                }

                JsonElement layer = layers[index.GetProperty("layer").GetString()!];
                yield return new IndexRow(
                    source,
                    layer.GetProperty("name").GetString()!,
                    string.Join('x', layer.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())),
                    layer.GetProperty("neurons").GetInt32(),
                    inputs,
                    16,
                    0.01,
                    index.GetProperty("indexBytes").GetInt64(),
                    index.GetProperty("indexFraction").GetDouble(),
                    index.GetProperty("diskFraction").GetDouble(),
                    index.GetProperty("wallMs").GetDouble());
            }
        }
    }

    private sealed record IndexRow(
        string Source, string Layer, string Shape, int Neurons, int Inputs, int Partitions, double Ratio,
        long IndexBytes, double IndexFraction, double DiskFraction, double WallMs);
}
