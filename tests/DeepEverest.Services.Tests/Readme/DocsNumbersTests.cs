using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeepEverest.Bench.Kernels;
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
        Assert.Contains($"The index takes {Range(rows.Select(r => r.IndexFraction))} of the size of the layer's float32", ReadDoc("docs/concepts.md").ReplaceLineEndings(" "), StringComparison.Ordinal);
        Assert.Contains($"at the default index ({Range(demo.Select(r => r.DiskFraction))} of full materialization on disk)", readme.ReplaceLineEndings(" "), StringComparison.Ordinal);
        IndexRow sample = Assert.Single(demo, r => r.Layer == "/block3/block3.2/Relu_output_0");
        string fraction = $"\"storageFraction\":{sample.IndexFraction.ToString("R", CultureInfo.InvariantCulture)}";
        Assert.Contains(fraction, readme, StringComparison.Ordinal);
        Assert.Contains(fraction, ReadDoc("docs/http-api.md"), StringComparison.Ordinal);
        Assert.Contains($"\"indexBytes\":{sample.IndexBytes}", ReadDoc("docs/http-api.md"), StringComparison.Ordinal);
        Assert.Contains($"= {Percent(sample.IndexFraction)} of full", ReadDoc("docs/performance.md"), StringComparison.Ordinal);
    }

    [Fact]
    public void KernelTables_EveryRow_EqualsTheCommittedKernelRun()
    {
        KernelBenchmarkReport report = KernelReport();
        string generated = report.ToMarkdown().ReplaceLineEndings("\n");
        string[] rows = generated.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToArray();

        // docs/kernels.md quotes the whole report; docs/performance.md a selection of its rows.
        Assert.Contains(generated, ReadDoc("docs/kernels.md").ReplaceLineEndings("\n"), StringComparison.Ordinal);
        string performance = ReadDoc("docs/performance.md");
        string[] section = Section(performance, "## CPU kernels");
        string[] quoted = section.Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToArray();
        Assert.True(quoted.Length >= 8, $"docs/performance.md's kernel table has {quoted.Length} rows");
        Assert.All(quoted, row => Assert.Contains(row, rows));
        Assert.Contains(KernelResults, string.Join('\n', section), StringComparison.Ordinal);
        Assert.StartsWith(
            $"## CPU kernels ({report.Backend}, 2 cores; copy bandwidth {(report.CopyBandwidthBytesPerSecond / 1e9).ToString("F1", CultureInfo.InvariantCulture)} GB/s)",
            section[0],
            StringComparison.Ordinal);

        // The prose of both pages: GroupBounds reaches half the copy bandwidth at g = 3, 10 and 64, not at 1 and 512.
        foreach (int g in new[] { 3, 10, 64 })
        {
            Assert.True(GroupBounds(report, g).BandwidthFraction >= 0.5, $"g = {g}");
        }

        foreach (int g in new[] { 1, 512 })
        {
            Assert.True(GroupBounds(report, g).BandwidthFraction < 0.5, $"g = {g}");
        }
    }

    [Fact]
    public void ReliabilityLoadSection_EveryQuotedRowAndLine_IsInTheReportItNames()
    {
        string[] section = Section(ReadDoc("docs/reliability.md"), "## Load", level: 2);
        int checkedReports = 0;
        foreach (string[] part in SplitAt(section, "### "))
        {
            string[] quoted = part.Where(l => l.StartsWith("| ", StringComparison.Ordinal) || l.StartsWith("> ", StringComparison.Ordinal)).ToArray();
            if (quoted.Length == 0)
            {
                continue;
            }

            // Each subsection that quotes figures names the committed report they come from.
            string report = Assert.Single(
                part.SelectMany(l => l.Split('`')).Where(w => w.StartsWith("bench/results/load-", StringComparison.Ordinal)).Distinct());
            string[] reportLines = ReadDoc(report).ReplaceLineEndings("\n").Split('\n');
            Assert.All(quoted, line => Assert.Contains(line.StartsWith("> ", StringComparison.Ordinal) ? line[2..] : line, reportLines));
            Assert.True(quoted.Length >= 8, $"{report}: {quoted.Length} quoted lines");
            checkedReports++;
        }

        Assert.Equal(2, checkedReports);
    }

    [Fact]
    public void BenchmarkDurations_EqualTheCommittedRunsTotals()
    {
        using JsonDocument json = JsonDocument.Parse(ReadDoc(_results[0]));
        long minutes = (long)Math.Round(json.RootElement.GetProperty("totalSeconds").GetDouble() / 60);

        Assert.Contains($"about {minutes} minutes (the committed run's `totalSeconds`)", ReadDoc("bench/README.md"), StringComparison.Ordinal);
        Assert.Contains($"`make bench`, {minutes} min on 2 AVX2 cores", ReadDoc("docs/performance.md").ReplaceLineEndings(" "), StringComparison.Ordinal);
        int queries = json.RootElement.GetProperty("queries").GetArrayLength();
        Assert.Contains($"(`make bench`; {minutes} min on 2 AVX2 cores, {queries:N0} queries, every answer", ReadDoc("README.md").ReplaceLineEndings(" "), StringComparison.Ordinal);

        using JsonDocument reduced = JsonDocument.Parse(ReadDoc("bench/results/demo-quick-70000/2026-11-26-2core-amd-epyc-quick.json"));
        string reducedMinutes = (reduced.RootElement.GetProperty("totalSeconds").GetDouble() / 60).ToString("F1", CultureInfo.InvariantCulture);
        Assert.Contains($"10 workload queries; {reducedMinutes} min on the same machine", ReadDoc("docs/performance.md").ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public void LargeGroupsSummaryTable_EveryRow_IsWhatSummaryLayoutChooses()
    {
        string[] rows = Section(ReadDoc("docs/large-groups.md"), "## What is stored", level: 2)
            .Where(l => Regex.IsMatch(l, @"^\| [0-9]+x[0-9]+x[0-9]+ \("))
            .ToArray();
        Assert.True(rows.Length >= 5, $"large-groups.md's summary table has {rows.Length} rows");
        foreach (string row in rows)
        {
            string[] cells = row.Split('|', StringSplitOptions.TrimEntries);
            long[] shape = cells[1].Split(' ')[0].Split('x').Select(long.Parse).ToArray();
            SummaryLayout? layout = SummaryLayout.Choose(shape);
            if (cells[2] == "none")
            {
                Assert.Null(layout);
                Assert.Equal("0", cells[3]);
                continue;
            }

            Assert.NotNull(layout);
            Assert.Equal(layout.SegmentsPerChannel.ToString(CultureInfo.InvariantCulture), cells[2]);
            Assert.Equal(Percent(layout.StorageFraction), cells[3]);
        }

    }

    [Fact]
    public void BuildRss_QuotedOutputAndConstant_AreTheCommittedRun()
    {
        const string results = "bench/results/build-rss-2026-12-07-2core-amd-epyc.md";
        string[] run = ReadDoc(results).ReplaceLineEndings("\n").Split('\n');
        string[] section = Section(ReadDoc("docs/datasets.md"), "## Memory of an index build");
        string[] quoted = section.Where(l => l.StartsWith("budget ", StringComparison.Ordinal)).ToArray();
        string[] output = run.Where(l => l.StartsWith("budget ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(output, quoted);

        // Each build's constant: peak - start less the activations held (the budget, or the whole
        // matrix of n x 200,704 float32 when it fits).
        var commands = run.Select(l => Regex.Match(l, @"images-(\d+)\.npy (\d+)$")).Where(m => m.Success).ToArray();
        Assert.Equal(output.Length, commands.Length);
        var constants = new List<long>();
        for (int i = 0; i < output.Length; i++)
        {
            long inputs = long.Parse(commands[i].Groups[1].Value, CultureInfo.InvariantCulture);
            long budget = long.Parse(commands[i].Groups[2].Value, CultureInfo.InvariantCulture);
            long grown = long.Parse(Regex.Match(output[i], @"peak - start (\d+) MiB").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.StartsWith($"budget {budget} MiB:", output[i], StringComparison.Ordinal);
            long matrix = (long)Math.Round(inputs * 200_704 * 4.0 / (1 << 20));
            constants.Add(grown - Math.Min(budget, matrix));
        }

        string prose = string.Join(' ', section);
        Assert.Contains($"the constant is {string.Join(", ", constants.SkipLast(1))} and {constants[^1]} MiB", prose, StringComparison.Ordinal);
        Assert.True(constants.Max() <= 600, $"a measured constant ({constants.Max()} MiB) exceeds the documented 600 MiB");
        Assert.Contains("constant for this model is **≤ 600 MiB**", prose, StringComparison.Ordinal);
        Assert.Contains("≤ 600 MiB measured with ResNet18", ReadDoc("docs/sizing.md"), StringComparison.Ordinal);
    }

    private const string KernelResults = "bench/results/2026-12-07-2core-amd-epyc-kernels.json";

    /// <summary>The committed <c>bench kernels --json</c> run, read back into the report type that wrote it.</summary>
    private static KernelBenchmarkReport KernelReport()
    {
        KernelBenchmarkReport? report = JsonSerializer.Deserialize<KernelBenchmarkReport>(
            ReadDoc(KernelResults), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.NotNull(report);
        Assert.NotEmpty(report.Results);
        Assert.All(report.Results, r => Assert.True(r.MedianSeconds > 0 && r.Bytes > 0, r.Kernel));
        return report;
    }

    private static KernelBenchmarkResult GroupBounds(KernelBenchmarkReport report, int g) =>
        Assert.Single(report.Results, r => r.Kernel == "GroupBounds" && r.Case == $"n=70000 g={g} P=16");

    /// <summary>
    /// The lines of a markdown section, from its heading to the next heading of any level, or with
    /// <paramref name="level"/> to the next heading of that level or above.
    /// </summary>
    private static string[] Section(string markdown, string headingPrefix, int level = 6)
    {
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith(headingPrefix, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no section '{headingPrefix}'");
        int end = Array.FindIndex(lines, start + 1, l => l.StartsWith('#') && l.TakeWhile(c => c == '#').Count() <= level);
        return lines[start..(end < 0 ? lines.Length : end)];
    }

    /// <summary>Lines split into parts, a new part at every line starting with <paramref name="prefix"/>.</summary>
    private static IEnumerable<string[]> SplitAt(string[] lines, string prefix)
    {
        var part = new List<string>();
        foreach (string line in lines)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal) && part.Count > 0)
            {
                yield return part.ToArray();
                part.Clear();
            }

            part.Add(line);
        }

        yield return part.ToArray();
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
