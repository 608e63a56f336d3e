using System.Globalization;
using DeepEverest.Services.Tests.Infrastructure;

namespace DeepEverest.Services.Tests.Readme;

/// <summary>
/// docs/performance.md's "Adaptive batches" section quotes ratios of two generated benchmark
/// reports (the full run's docs/benchmarks.md and the reduced run's committed report); each one is
/// computed again here from those reports' tables, so a rerun that changes them fails until the
/// prose follows.
/// </summary>
public sealed class AdaptiveBatchDocsTests
{
    private const string Heading = "## Adaptive verification batches";

    [Fact]
    public void PerformanceSection_EveryRatio_IsTheGeneratedReports()
    {
        string prose = Normalize(string.Join(' ', Section(Read("docs/performance.md"), "## Adaptive batches on the demo model")));
        (Row[] fullCells, Row[] fullTotals) = Tables(Read("docs/benchmarks.md"));
        (Row[] quickCells, Row[] quickTotals) = Tables(Read("bench/results/demo-quick-70000/benchmarks.md"));

        // The full run: queries, adaptive at the oracle, fixed's range, time ratios per layer, per-cell medians.
        Assert.Contains($"{fullCells.Sum(r => r.Int("queries")):N0} bounds queries at the default index", prose, StringComparison.Ordinal);
        Assert.All(fullTotals.Concat(quickTotals), r => Assert.Equal("1.00", r["/ oracle"]));
        Assert.Contains($"at 1.00x the oracle minimum in total per layer against {MinMax(fullTotals.Select(r => r.Last("/ oracle")))} for fixed batches of 64", prose, StringComparison.Ordinal);
        Assert.Contains($"which took {Series(fullTotals, "fixed / adaptive time")} adaptive's time in total", prose, StringComparison.Ordinal);
        Assert.Contains($"(per-cell medians {MinMax(fullCells.Select(r => r["fixed / adaptive time"]))})", prose, StringComparison.Ordinal);

        // The reduced run at full size.
        Assert.Contains($"Adaptive batches infer 1.00x the oracle minimum in total per layer, against {Series(quickTotals, r => r.Last("/ oracle"))} with fixed batches of 64", prose, StringComparison.Ordinal);
        string[] time = quickTotals.Select(r => r["fixed / adaptive time"] + "x").ToArray();
        Assert.Contains($"adaptive is {time[0]} and {time[1]} faster than fixed batches in total at the first two layers and {time[2]} at the last", prose, StringComparison.Ordinal);
        Row lateSimilar = Assert.Single(quickCells, r => r["layer"] == "late" && r["type"] == "similar");
        Assert.Contains($"({lateSimilar["oracle"]} inputs for the median similar query)", prose, StringComparison.Ordinal);
        double batches = lateSimilar.Number("batches adaptive") / lateSimilar.Number("batches fixed 64");
        Assert.Contains($"adaptive makes {Math.Round(batches).ToString(CultureInfo.InvariantCulture)}x more batches", prose, StringComparison.Ordinal);
        Assert.True(quickTotals[2].Number("fixed / adaptive time") >= 0.95, "adaptive keeps fixed batches' throughput within 5% at the last layer");

        // Whole channels: the largest share of inputs any layer's channel queries infer, from the same report.
        string channels = string.Join('\n', Section(Read("bench/results/demo-quick-70000/benchmarks.md"), "## Large groups"));
        foreach (string share in new[] { "1.13%", "0.45%" })
        {
            Assert.Contains(share, prose, StringComparison.Ordinal);
            Assert.Contains(share, channels, StringComparison.Ordinal);
        }
    }

    private static string Series(Row[] rows, string column) => Series(rows, r => r[column]);

    private static string Series(Row[] rows, Func<Row, string> cell)
    {
        string[] all = rows.Select(r => cell(r) + "x").ToArray();
        return $"{string.Join(", ", all[..^1])} and {all[^1]}";
    }

    private static string MinMax(IEnumerable<string> cells)
    {
        string[] sorted = cells.OrderBy(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        return $"{sorted[0]}-{sorted[^1]}x";
    }

    /// <summary>The two tables of the reports' adaptive-batches section: per cell, then totals per layer.</summary>
    private static (Row[] Cells, Row[] Totals) Tables(string report)
    {
        string[] section = Section(report, Heading);
        var tables = new List<Row[]>();
        string[]? header = null;
        var rows = new List<Row>();
        foreach (string line in section.Append(string.Empty))
        {
            if (!line.StartsWith('|'))
            {
                if (header is not null)
                {
                    tables.Add([.. rows]);
                }

                header = null;
                rows.Clear();
                continue;
            }

            string[] cells = line.Trim().Trim('|').Split('|', StringSplitOptions.TrimEntries);
            if (header is null)
            {
                header = cells;
            }
            else if (!cells[0].StartsWith("---", StringComparison.Ordinal))
            {
                rows.Add(new Row(header, cells));
            }
        }

        Assert.Equal(2, tables.Count);
        Assert.Equal(6, tables[0].Length);
        Assert.Equal(["early", "middle", "late"], tables[1].Select(r => r["layer"]));
        return (tables[0], tables[1]);
    }

    private static string[] Section(string markdown, string heading)
    {
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no section '{heading}'");
        int end = Array.FindIndex(lines, start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        return lines[start..(end < 0 ? lines.Length : end)];
    }

    private static string Normalize(string text) => string.Join(' ', text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static string Read(string path) => File.ReadAllText(Path.Combine(TestData.RepoRoot, path));

    /// <summary>One table row, its cells by column name (a repeated name: the first, or <see cref="Last"/>).</summary>
    private sealed record Row(string[] Header, string[] Cells)
    {
        public string this[string column] => Cells[Array.IndexOf(Header, column)];

        public string Last(string column) => Cells[Array.LastIndexOf(Header, column)];

        public double Number(string column) => double.Parse(this[column].Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);

        public int Int(string column) => (int)Number(column);
    }
}
