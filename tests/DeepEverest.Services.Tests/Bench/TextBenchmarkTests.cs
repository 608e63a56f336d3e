using DeepEverest.Bench;
using DeepEverest.Bench.Text;
using DeepEverest.Services.Tests.Infrastructure;

namespace DeepEverest.Services.Tests.Bench;

/// <summary>
/// <c>deepeverest bench text --quick</c>: ArcticXs's early and late MLP layers over the first
/// chapter of the Moby Dick fixture, every answer checked against the brute-force pass over the windows.
/// </summary>
public sealed class TextBenchmarkTests
{
    [Fact]
    public void Run_Quick_EveryAnswerExactAndWindowsAtLeastTheOracleMinimum()
    {
        string root = Path.Combine(Path.GetTempPath(), $"text-bench-{Guid.NewGuid():N}");
        var options = TextBenchmarkOptions.Quick with
        {
            CorpusDirectory = Path.Combine(TestData.RepoRoot, "tests", "fixtures", "text", "moby-dick"),
            DataRoot = root,
        };

        TextBenchmarkResults results = TextBenchmark.Run(options, null, CancellationToken.None);

        Assert.Empty(results.Mismatches);
        Assert.False(Directory.Exists(root));
        Assert.Equal(("moby-dick", 1, 7), (results.Corpus.Name, results.Corpus.Documents, results.Corpus.CorpusDocuments));
        Assert.True(results.Corpus.Tokens > 1000 && results.Corpus.Windows * 64 >= results.Corpus.Tokens, $"{results.Corpus}");
        Assert.Equal(["early", "late"], results.Builds.Select(b => b.Index.Layer));
        Assert.All(results.Builds, b => Assert.True(b.PassMs > 0 && b.Index.IndexBytes > 0 && b.Index.MaterializedBytes == results.Corpus.Tokens * 1536 * 4));
        // Per layer: 1 target x 2 types x (top-1, top-10, random-10, units-64), the single-neuron highest, one ReprocessAll.
        Assert.Equal(2 * 10, results.Queries.Count);
        Assert.All(results.Queries, q => Assert.True(q.Query.Exact));
        TextQuery[] bounds = [.. results.Queries.Where(q => q.Query.Strategy == "bounds")];
        Assert.All(bounds, q => Assert.True(q.Query.Inferred >= q.Query.Oracle && q.Windows >= q.OracleWindows && q.Tokens >= q.Query.Inferred, $"{q}"));
        Assert.All(bounds.Where(q => q.Query.Group == "neuron"), q => Assert.False(q.HasTarget));
        // ReprocessAll runs every window once and computes every item but the excluded target.
        Assert.All(results.Queries.Where(q => q.Query.Strategy == "reprocess"), q =>
            Assert.Equal((results.Corpus.Windows, results.Corpus.Tokens), (q.Windows, q.Query.Inferred + (q.Query.Type == "similar" ? 1 : 0))));

        string path = Path.Combine(Path.GetTempPath(), $"text-bench-{Guid.NewGuid():N}.json");
        try
        {
            ResultsFile.Write(results, path);
            Assert.True(ResultsFile.IsText(path));
            string report = TextReport.Render(ResultsFile.ReadText(path), "results.json");
            Assert.Contains("| every answer exact | 0 inexact of 20 | yes |", report, StringComparison.Ordinal);
            Assert.Contains("| early | similar | units-64 | 1 |", report, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
