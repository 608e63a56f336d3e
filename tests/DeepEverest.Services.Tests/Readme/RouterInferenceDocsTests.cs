using System.Globalization;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.Router;

namespace DeepEverest.Services.Tests.Readme;

/// <summary>
/// docs/scale-out.md's inference ratio of four shards against one store is the committed
/// <c>make router-inferences</c> run's, recomputed from its per-query counts.
/// </summary>
public sealed class RouterInferenceDocsTests
{
    [Fact]
    public void ScaleOut_InferenceRatios_EqualTheCommittedMeasurement()
    {
        var report = RouterInferenceReport.Read(Path.Combine(TestData.RepoRoot, RouterInferenceReport.Committed));
        string page = File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "scale-out.md")).ReplaceLineEndings(" ");

        Assert.Equal(40, report.Queries.Count);
        Assert.Equal(2 * 10 * 2, report.Queries.Select(q => (q.Kind, q.Target, q.Top)).Distinct().Count());
        string quoted = string.Create(
            CultureInfo.InvariantCulture,
            $"median {report.MedianRatio:F2}x (total {report.TotalRatio:F2}x, {report.ShardedTotal:N0} / {report.SingleTotal:N0}, at most {report.MaxRatio:F2}x)");
        Assert.Contains(quoted, page, StringComparison.Ordinal);
        Assert.Contains(RouterInferenceReport.Committed, page, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{report.Inputs:N0}-image slice"), page, StringComparison.Ordinal);
        Assert.Contains($"`{report.Layer}`, k = {report.K}", page, StringComparison.Ordinal);
    }
}
