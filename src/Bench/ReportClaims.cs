using System.Globalization;
using DeepEverest.Bench.Results;
using static DeepEverest.Bench.PaperReport;

namespace DeepEverest.Bench;

/// <summary>
/// The report's comparison with the paper's claims (up to 63x per query, index under 20% of
/// materialization), stated from the measured numbers: each line says where we are ahead or
/// behind, and the reason we can name.
/// </summary>
internal static class ReportClaims
{
    private static readonly CultureInfo _c = CultureInfo.InvariantCulture;

    /// <summary>One markdown bullet per finding.</summary>
    public static IEnumerable<string> Lines(ReportData data)
    {
        PaperBenchmarkResults r = data.Results;
        if (r.Quick)
        {
            yield return "This is a smoke run on a small subset: the numbers below are not comparable with the paper's.";
        }

        // Per-query speed of bounds against the 63x claim, per (layer, type, group) cell.
        var cells = new List<(string Name, double Speedup)>();
        foreach (LayerInfo layer in r.Layers)
        {
            foreach (string type in ReportData.Types)
            {
                foreach (string group in data.GroupKinds)
                {
                    double speedup = data.ReprocessMedian(layer.Role, type) / data.Latency(layer.Role, "bounds", type, group).Median;
                    if (double.IsFinite(speedup))
                    {
                        cells.Add(($"{layer.Role} {type} {group}", speedup));
                    }
                }
            }
        }

        Summary all = Summary.Of(data.Speedups(data.DefaultQueries.Where(q => q.Strategy == "bounds")));
        var behind = cells.Where(x => x.Speedup < PaperSpeedup).OrderBy(x => x.Speedup).ToList();
        yield return string.Create(_c, $"**Speed.** Over all {all.Count} bounds queries at the default index the median speedup over ReprocessAll is {X(all.Median)} and the largest {X(all.Max)}, against the paper's \"up to {PaperSpeedup:F0}x\". ")
            + (behind.Count == 0
                ? $"Every cell's median is above {PaperSpeedup:F0}x."
                : $"Cells whose median is below {PaperSpeedup:F0}x: {string.Join(", ", behind.Select(x => $"{x.Name} ({X(x.Speedup)})"))}.");
        if (behind.Count > 0)
        {
            yield return WhyBehind(data, behind);
        }

        Summary nta = Summary.Of(data.Speedups(data.DefaultQueries.Where(q => q.Strategy == "nta")));
        double perImage = PerImageMs(r);
        string reprocessTime = Ms(Summary.Of(r.Queries.Where(q => q.Strategy == "reprocess").Select(q => q.FinalMs)).Median);
        yield return all.Median >= PaperSpeedup
            ? string.Create(_c, $"**Why the ratios are not the paper's.** The model and data differ (a small CNN on Fashion-MNIST here, ResNet50 on ImageNet there), so the ratios are not directly comparable. We exceed the paper's figure because bounds infers close to the oracle minimum, a few hundred of {r.Inputs:N0} inputs (next section); NTA, the paper's algorithm, run on the same index gets a median {X(nta.Median)}. The demo CNN is cheap (about {perImage:F2} ms per image here, ReprocessAll {reprocessTime}), so a query's fixed costs (reading the group's index rows, bounds for all {r.Inputs:N0} inputs, batches of 64) weigh relatively more than they would with ResNet50, where each avoided inference is worth far more.")
            : string.Create(_c, $"**Why the ratios are not the paper's.** The model and data differ (a small CNN on Fashion-MNIST here, ResNet50 on ImageNet there). The demo CNN infers an image in about {perImage:F2} ms on this machine, so ReprocessAll takes only {reprocessTime} and a query's fixed costs (reading the group's index rows, bounds for all {r.Inputs:N0} inputs, batches of 64) weigh relatively more; with ResNet50 each avoided inference is worth far more.");

        Summary pre = Summary.Of(data.DefaultQueries.Where(q => q.Strategy == "materialized").Select(q => q.FinalMs));
        Summary ours = Summary.Of(data.DefaultQueries.Where(q => q.Strategy == "bounds").Select(q => q.FinalMs));
        if (pre.Median < ours.Median)
        {
            yield return $"**PreprocessAll is faster per query** (median {Ms(pre.Median)} vs our {Ms(ours.Median)}): a scan of {r.K}-of-{r.Inputs:N0} over materialized columns of a small group costs microseconds per input and never infers. It pays with storage: 100% of the float32 activations per layer, versus the fractions below.";
        }

        Summary ntaRatio = Summary.Of(ReportData.OracleRatios(data.DefaultQueries.Where(q => q.Strategy == "nta")));
        Summary boundsRatio = Summary.Of(ReportData.OracleRatios(data.DefaultQueries.Where(q => q.Strategy == "bounds")));
        if (ntaRatio.Count > 0)
        {
            var slower = cells.Select(x => x.Name).Where(name =>
            {
                string[] parts = name.Split(' ');
                return data.ReprocessMedian(parts[0], parts[1]) < data.Latency(parts[0], "nta", parts[1], parts[2]).Median;
            }).ToList();
            yield return $"**NTA (the paper's algorithm) on the same index** infers a median {R(ntaRatio.Median)}x the oracle minimum, versus {R(boundsRatio.Median)}x for bounds. NTA walks partitions of each neuron separately and its threshold combines frontiers of different inputs; it never uses an input's codes in the other neurons of the group to rule it out, which per-input bounds do."
                + (slower.Count == 0 ? "" : $" Where it infers most of the dataset in batches of 64 it is even slower than ReprocessAll's full pass in batches of 256: {string.Join(", ", slower)}.");
        }

        // Storage against the 20% claim.
        IndexMeasurement[] defaults = r.Indexes.Where(i => i.Partitions == data.DefaultPartitions && i.Ratio.Equals(data.DefaultRatio)).ToArray();
        if (defaults.Length > 0)
        {
            string perLayer = string.Join(", ", defaults.Select(i =>
            {
                MaterializationMeasurement? mat = r.Materializations.FirstOrDefault(m => m.Layer == i.Layer);
                return $"{i.Layer} {P(i.IndexFraction)} written, {P(i.DiskFraction)} on disk" + (mat is null ? "" : $" ({P((double)i.DiskBytes / mat.DiskBytes)} of the materialization's on-disk size)");
            }));
            double[] vsDisk = defaults.Select(i => r.Materializations.FirstOrDefault(m => m.Layer == i.Layer) is { } m ? (double)i.DiskBytes / m.DiskBytes : double.NaN)
                .Where(double.IsFinite).ToArray();
            string versusDisk = vsDisk.Length == 0 ? ""
                : vsDisk.All(f => f >= PaperStorageFraction) ? $"against what RocksDB actually stores for PreprocessAll it is not ({P(vsDisk.Min())} to {P(vsDisk.Max())})"
                : vsDisk.Any(f => f >= PaperStorageFraction) ? $"against what RocksDB actually stores for PreprocessAll it is not always ({P(vsDisk.Min())} to {P(vsDisk.Max())})"
                : $"and also against what RocksDB actually stores for PreprocessAll ({P(vsDisk.Min())} to {P(vsDisk.Max())}), although";
            yield return $"**Storage.** The default index (P = {data.DefaultPartitions}, ratio = {data.DefaultRatio}) takes, as a fraction of the float32 activations: {perLayer}. Against the float32 size it is {(defaults.All(i => i.DiskFraction < PaperStorageFraction) ? "under" : "not under")} {PaperStorageFraction * 100:F0}%; {versusDisk}, because RocksDB's block compression shrinks the materialized ReLU activations (about half zeros) much more than the near-random bit-packed codes. The paper compares with the float32 size.";
        }

        var over = r.Indexes.Where(i => i.DiskFraction >= PaperStorageFraction).Select(i => $"{i.Layer} P={i.Partitions}/{i.Ratio} ({P(i.DiskFraction)})").ToList();
        if (over.Count > 0)
        {
            yield return $"Grid points at or above {PaperStorageFraction * 100:F0}% on disk: {string.Join(", ", over)}. Size is about log2(P)/32 + 2 x ratio of the float32 activations (each MAI entry stores a float value and an int id), so ratio = 0.05 alone costs 10%.";
        }

        var best = r.Layers.Select(l => r.Indexes.Where(i => i.Layer == l.Role && i.DiskFraction < PaperStorageFraction)
                .Select(i => (Index: i, Median: data.GridLatency(l.Role, i.Partitions, i.Ratio).Median))
                .Where(x => double.IsFinite(x.Median)).OrderBy(x => x.Median).FirstOrDefault())
            .Where(x => x.Index is not null).ToList();
        if (best.Count > 0 && r.Indexes.Select(i => (i.Partitions, i.Ratio)).Distinct().Count() > 1)
        {
            yield return $"Fastest grid point under {PaperStorageFraction * 100:F0}% on disk, by median bounds latency over the shared targets: {string.Join(", ", best.Select(x => string.Create(_c, $"{x.Index.Layer} P={x.Index.Partitions}/{x.Index.Ratio} ({P(x.Index.DiskFraction)}, {Ms(x.Median)})")))}." + NoMai(data);
        }

        Summary construction = Summary.Of(r.Indexes.Select(i => (double)i.ConstructionMs));
        Summary inference = Summary.Of(r.Indexes.Select(i => (double)i.InferenceMs));
        yield return $"**Build time.** An index build is one inference pass (median {Ms(inference.Median)}) plus construction (median {Ms(construction.Median)}); the paper reports construction without the inference pass. PreprocessAll's materialization costs the same inference pass plus writing every activation.";

        WorkloadSystemResult? oursRun = r.WorkloadSystems.FirstOrDefault(s => s.System == "ours");
        WorkloadSystemResult? preRun = r.WorkloadSystems.FirstOrDefault(s => s.System == "preprocess");
        if (oursRun is not null && preRun is not null)
        {
            WorkloadSystemResult fastest = r.WorkloadSystems.MinBy(s => s.TotalMs)!;
            yield return oursRun.TotalMs <= preRun.TotalMs
                ? $"**Workload.** Ours takes {oursRun.TotalMs / 1000:F1} s for the session, setup included, against {string.Join(", ", r.WorkloadSystems.Where(s => s.System != "ours").Select(s => $"{ReportData.SystemName(s.System)} {s.TotalMs / 1000:F1} s"))}" + (fastest.System == "ours" ? ": the fastest, as the paper reports." : ".")
                : $"**Workload: behind PreprocessAll** ({oursRun.TotalMs / 1000:F1} s vs {preRun.TotalMs / 1000:F1} s, setup included). Materializing these layers costs about as much as building our indexes (both are one inference pass), and then every PreprocessAll query is a scan of a few columns; the paper's advantage here comes from materialization being far costlier for ResNet50's large layers. We still use a fraction of its storage, and beat ReprocessAll and the LRU cache.";
        }
    }

    /// <summary>What dropping the MAI costs at the default P, per layer, or empty when the grid lacks ratio 0.</summary>
    private static string NoMai(ReportData data)
    {
        var pairs = data.Results.Layers.Select(l => (l.Role,
                Without: data.GridLatency(l.Role, data.DefaultPartitions, 0).Median,
                With: data.GridLatency(l.Role, data.DefaultPartitions, data.DefaultRatio).Median))
            .Where(x => double.IsFinite(x.Without) && double.IsFinite(x.With) && data.DefaultRatio > 0).ToList();
        return pairs.Count == 0 ? ""
            : $" Without an MAI (ratio 0, P = {data.DefaultPartitions}) the median is {string.Join(", ", pairs.Select(x => $"{x.Role} {Ms(x.Without)} instead of {Ms(x.With)}"))}: an equi-depth top partition spans the long upper tail of a neuron's activations, where the target's top neurons lie, so its bounds separate little.";
    }

    /// <summary>Explains the cells below the paper's speedup with their oracle minimum.</summary>
    private static string WhyBehind(ReportData data, List<(string Name, double Speedup)> behind)
    {
        PaperBenchmarkResults r = data.Results;
        var parts = new List<string>();
        foreach ((string name, _) in behind)
        {
            string[] p = name.Split(' ');
            QueryMeasurement[] b = data.Cell(p[0], "bounds", p[1], p[2]).ToArray();
            double oracle = Summary.Of(b.Select(q => (double)(q.Oracle ?? 0))).Median;
            double inferred = Summary.Of(b.Select(q => (double)q.Inferred)).Median;
            parts.Add(string.Create(_c, $"{name}: oracle {oracle:N0}, bounds {inferred:N0}"));
        }

        long mai = (long)Math.Floor(data.DefaultRatio * r.Inputs);
        double partition = (r.Inputs - mai) / (double)(data.DefaultPartitions - 1);
        string text = $"**Why those cells are slower.** Their oracle minimum itself is high, and bounds infers within a batch of it (median inputs inferred: {string.Join("; ", parts)}): no exact algorithm using this index could infer much less. ";
        if (behind.Any(x => x.Name.EndsWith("top-1", StringComparison.Ordinal)))
        {
            text += string.Create(_c, $"With one neuron and a target value outside the neuron's MAI, every input in the target's partition may lie at distance 0, so the whole partition must be verified: (n - MAI) / (P - 1) = {partition:N0} inputs at P = {data.DefaultPartitions}, ratio = {data.DefaultRatio}. ");
        }

        return text + "Small groups of the late layer are coarse in this way: few neurons, each with wide partitions around the target. A finer index (larger P or MAI) shrinks the oracle; see the grid.";
    }

    /// <summary>ReprocessAll's median time per inferred input, in ms.</summary>
    private static double PerImageMs(PaperBenchmarkResults r)
    {
        QueryMeasurement[] runs = r.Queries.Where(q => q.Strategy == "reprocess" && q.Inferred > 0).ToArray();
        return runs.Length == 0 ? double.NaN : Summary.Of(runs.Select(q => q.FinalMs / q.Inferred)).Median;
    }
}
