using System.Globalization;
using System.Text;
using DeepEverest.Bench.Results;
using static DeepEverest.Bench.PaperReport;

namespace DeepEverest.Bench;

/// <summary>The report's tables, one method per section.</summary>
internal static class ReportTables
{
    private static readonly CultureInfo _c = CultureInfo.InvariantCulture;

    /// <summary>Layers and settings.</summary>
    public static void Setup(StringBuilder md, ReportData data)
    {
        md.AppendLine("## Setup");
        md.AppendLine();
        md.AppendLine("The demo CNN (`models/demo/fashion_vgg.onnx`, VGG-style, 91.1% test accuracy) on Fashion-MNIST. Three ReLU layers:");
        md.AppendLine();
        md.AppendLine("| role | layer | shape | neurons | float32 activations of all inputs |");
        md.AppendLine("|---|---|---|---:|---:|");
        foreach (LayerInfo layer in data.Results.Layers)
        {
            md.AppendLine(_c, $"| {layer.Role} | `{layer.Name}` | [{string.Join(", ", layer.Shape)}] | {layer.Neurons:N0} | {Mib((long)data.Results.Inputs * layer.Neurons * 4)} MiB |");
        }

        md.AppendLine();
        md.AppendLine(_c, $"Queries: k = {data.Results.K}; {data.Results.Settings["groups"]}; {data.Results.Settings["types"]}. {data.Results.Settings["targets"]}. {data.Results.Settings["reprocess"]}.");
        md.AppendLine();
    }

    /// <summary>Per-query latency at the default index, per layer.</summary>
    public static void Latency(StringBuilder md, ReportData data)
    {
        md.AppendLine("## Per-query latency at the default index");
        md.AppendLine();
        md.AppendLine("Time to the final (exact) answer: median / p90 / max; \"first\" is the median time to the first update. ReprocessAll's median is pooled over its runs for the layer and type (its cost depends on neither the group nor the index). Speedup = ReprocessAll median / strategy median.");
        md.AppendLine();
        foreach (LayerInfo layer in data.Results.Layers)
        {
            md.AppendLine(_c, $"### {layer.Role}: `{layer.Name}` ({layer.Neurons:N0} neurons)");
            md.AppendLine();
            md.AppendLine(_c, $"![latency {layer.Role}](benchmarks/latency-{layer.Role}.png)");
            md.AppendLine();
            md.AppendLine("| type | group | bounds (n) | bounds first | NTA (n) | NTA first | PreprocessAll | ReprocessAll (n) | speedup bounds | NTA | PreprocessAll |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (string type in ReportData.Types)
            {
                foreach (string group in data.GroupKinds)
                {
                    Summary b = data.Latency(layer.Role, "bounds", type, group);
                    Summary bf = Summary.Of(data.Cell(layer.Role, "bounds", type, group).Select(q => q.FirstMs));
                    Summary n = data.Latency(layer.Role, "nta", type, group);
                    Summary nf = Summary.Of(data.Cell(layer.Role, "nta", type, group).Select(q => q.FirstMs));
                    Summary m = data.Latency(layer.Role, "materialized", type, group);
                    Summary r = data.Latency(layer.Role, "reprocess", type, group);
                    md.AppendLine(_c, $"| {type} | {group} | {Three(b)} ({b.Count}) | {Ms(bf.Median)} | {Three(n)} ({n.Count}) | {Ms(nf.Median)} | {Ms(m.Median)} | {Ms(r.Median)} ({r.Count}) | {X(r.Median / b.Median)} | {X(r.Median / n.Median)} | {X(r.Median / m.Median)} |");
                }
            }

            md.AppendLine();
        }
    }

    /// <summary>Inferences against the oracle minimum.</summary>
    public static void Oracle(StringBuilder md, ReportData data)
    {
        md.AppendLine("## Inferences vs the oracle minimum (default index)");
        md.AppendLine();
        md.AppendLine("![inferences vs oracle](benchmarks/oracle.png)");
        md.AppendLine();
        md.AppendLine("Medians per cell. Ratio = inferred / oracle, median over the cell's queries with a positive oracle; \"at oracle\" counts queries that inferred no more than the oracle minimum.");
        md.AppendLine();
        md.AppendLine("| layer | type | group | oracle | bounds inferred | bounds ratio | bounds at oracle | bounds pruned | exact from index | NTA inferred | NTA ratio | NTA pruned |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (LayerInfo layer in data.Results.Layers)
        {
            foreach (string type in ReportData.Types)
            {
                foreach (string group in data.GroupKinds)
                {
                    QueryMeasurement[] b = data.Cell(layer.Role, "bounds", type, group).ToArray();
                    QueryMeasurement[] n = data.Cell(layer.Role, "nta", type, group).ToArray();
                    md.AppendLine(_c, $"| {layer.Role} | {type} | {group} | {Med(b.Select(q => (double)(q.Oracle ?? 0)))} | {Med(b.Select(q => (double)q.Inferred))} | {R(Summary.Of(ReportData.OracleRatios(b)).Median)} | {b.Count(q => q.Inferred <= q.Oracle)}/{b.Length} | {Med(b.Select(q => (double)q.Pruned))} | {Med(b.Select(q => (double)q.ExactFromIndex))} | {Med(n.Select(q => (double)q.Inferred))} | {R(Summary.Of(ReportData.OracleRatios(n)).Median)} | {Med(n.Select(q => (double)q.Pruned))} |");
                }
            }
        }

        md.AppendLine();
        md.AppendLine("| layer | strategy | queries | total inferred | total oracle | total inferred / total oracle |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (LayerInfo layer in data.Results.Layers)
        {
            foreach (string strategy in new[] { "bounds", "nta" })
            {
                QueryMeasurement[] qs = data.DefaultQueries.Where(q => q.Layer == layer.Role && q.Strategy == strategy).ToArray();
                long inferred = qs.Sum(q => q.Inferred);
                long oracle = qs.Sum(q => q.Oracle ?? 0);
                md.AppendLine(_c, $"| {layer.Role} | {ReportData.StrategyName(strategy)} | {qs.Length} | {inferred:N0} | {oracle:N0} | {R(oracle == 0 ? double.NaN : (double)inferred / oracle)} |");
            }
        }

        md.AppendLine();
    }

    /// <summary>Adaptive against fixed verification batches at the default index.</summary>
    public static void Batches(StringBuilder md, ReportData data)
    {
        if (!data.DefaultQueries.Any(q => q.Strategy == "bounds-fixed"))
        {
            return;
        }

        // Results since the rerun was recorded time two warm runs; older ones the cold first run.
        string adaptive = data.DefaultQueries.Any(q => q.Strategy == "bounds-rerun") ? "bounds-rerun" : "bounds";
        md.AppendLine("## Adaptive verification batches");
        md.AppendLine();
        md.AppendLine("The same queries with adaptive batches (the default: every candidate the answer certainly needs, plus a speculative part that starts at one input and doubles up to 64 or the layer's measured efficient batch) and with fixed batches of 64. Medians per cell; ratio = inferred / oracle over queries with a positive oracle; batches = verification batches." + (adaptive == "bounds-rerun"
            ? " Both are timed after the query's first run (the one in the other tables): a first run also reads the index rows and inputs it needs from the store cold, which would be charged to whichever variant runs first."
            : " Adaptive is the query's first run and fixed the second, so adaptive also pays for reading the store cold (results written before the comparison timed two later runs)."));
        md.AppendLine();
        bool hasBatches = data.DefaultQueries.Any(q => q.Strategy == "bounds-fixed" && q.Profile is not null);
        md.AppendLine("| layer | type | queries | oracle | inferred adaptive | ratio | inferred fixed 64 | ratio |" + (hasBatches ? " batches adaptive | batches fixed 64 |" : "") + " time adaptive | time fixed 64 | fixed / adaptive time |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|" + (hasBatches ? "---:|---:|" : "") + "---:|---:|---:|");
        foreach (LayerInfo layer in data.Results.Layers)
        {
            foreach (string type in ReportData.Types)
            {
                QueryMeasurement[] a = data.Cell(layer.Role, adaptive, type, null).ToArray();
                QueryMeasurement[] f = data.Cell(layer.Role, "bounds-fixed", type, null).ToArray();
                double at = Summary.Of(a.Select(q => q.FinalMs)).Median;
                double ft = Summary.Of(f.Select(q => q.FinalMs)).Median;
                string batches = hasBatches ? $" {Med(a.Select(Batches))} | {Med(f.Select(Batches))} |" : "";
                md.AppendLine(_c, $"| {layer.Role} | {type} | {a.Length} | {Med(a.Select(q => (double)(q.Oracle ?? 0)))} | {Med(a.Select(q => (double)q.Inferred))} | {R(Summary.Of(ReportData.OracleRatios(a)).Median)} | {Med(f.Select(q => (double)q.Inferred))} | {R(Summary.Of(ReportData.OracleRatios(f)).Median)} |{batches} {Ms(at)} | {Ms(ft)} | {R(ft / at)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("| layer | total oracle | total inferred adaptive | / oracle | total inferred fixed 64 | / oracle | total time adaptive | total time fixed 64 | fixed / adaptive time |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (LayerInfo layer in data.Results.Layers)
        {
            QueryMeasurement[] a = data.DefaultQueries.Where(q => q.Layer == layer.Role && q.Strategy == adaptive).ToArray();
            QueryMeasurement[] f = data.DefaultQueries.Where(q => q.Layer == layer.Role && q.Strategy == "bounds-fixed").ToArray();
            long oracle = a.Sum(q => q.Oracle ?? 0);
            double at = a.Sum(q => q.FinalMs);
            double ft = f.Sum(q => q.FinalMs);
            md.AppendLine(_c, $"| {layer.Role} | {oracle:N0} | {a.Sum(q => q.Inferred):N0} | {R((double)a.Sum(q => q.Inferred) / oracle)} | {f.Sum(q => q.Inferred):N0} | {R((double)f.Sum(q => q.Inferred) / oracle)} | {Ms(at)} | {Ms(ft)} | {R(ft / at)} |");
        }

        md.AppendLine();

        static double Batches(QueryMeasurement q) => q.Profile is { } p && p.TryGetValue("batches", out double b) ? b : double.NaN;
    }

    /// <summary>Whole channels and 3x3 patches at the default index (docs/large-groups.md).</summary>
    public static void LargeGroups(StringBuilder md, ReportData data)
    {
        string[] kinds = data.GroupKinds.Where(k => k is "channel" or "rect-3x3").ToArray();
        if (kinds.Length == 0)
        {
            return;
        }

        md.AppendLine("## Large groups: whole channels and 3x3 patches");
        md.AppendLine();
        md.AppendLine("The whole channel of the target's most activated neuron (`rect:c,*,*`) and the 3x3 positions around that neuron. Channel summaries (docs/large-groups.md) bound whole channels; the last layer (4x4 channels) has none, so its channels use per-neuron bounds alone. Inferred: % of the inputs, median and max over the cell's queries.");
        md.AppendLine();
        md.AppendLine("| layer | type | group | neurons | bounds median | speedup | inferred (median, max) | oracle (median) | inferred / oracle |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (LayerInfo layer in data.Results.Layers)
        {
            foreach (string type in ReportData.Types)
            {
                foreach (string kind in kinds)
                {
                    QueryMeasurement[] b = data.Cell(layer.Role, "bounds", type, kind).ToArray();
                    if (b.Length == 0)
                    {
                        continue;
                    }

                    Summary share = Summary.Of(b.Select(q => 100.0 * q.Inferred / data.Results.Inputs));
                    double median = Summary.Of(b.Select(q => q.FinalMs)).Median;
                    md.AppendLine(_c, $"| {layer.Role} | {type} | {kind} | {Med(b.Select(q => (double)q.GroupSize))} | {Ms(median)} | {X(data.ReprocessMedian(layer.Role, type) / median)} | {share.Median:F2}%, {share.Max:F2}% | {Med(b.Select(q => (double)(q.Oracle ?? 0)))} | {R(Summary.Of(ReportData.OracleRatios(b)).Median)} |");
                }
            }
        }

        md.AppendLine();
    }

    /// <summary>The P x ratio grid: build, storage and speed.</summary>
    public static void Grid(StringBuilder md, ReportData data)
    {
        md.AppendLine("## Index grid: storage vs speed");
        md.AppendLine();
        md.AppendLine("![storage vs speed](benchmarks/grid.png)");
        md.AppendLine();
        md.AppendLine("Build = the builder's inference pass + construction (sorting, partitioning, packing, writing). Bounds columns are medians over the targets that every grid point ran, so rows compare like with like.");
        md.AppendLine();
        foreach (LayerInfo layer in data.Results.Layers)
        {
            MaterializationMeasurement? mat = data.Results.Materializations.FirstOrDefault(m => m.Layer == layer.Role);
            md.AppendLine(_c, $"### {layer.Role}: `{layer.Name}`");
            md.AppendLine();
            if (mat is not null)
            {
                md.AppendLine(_c, $"PreprocessAll materialization of this layer: {mat.WallMs / 1000:F1} s (inference {mat.InferenceMs / 1000.0:F1} s), {Mib(mat.Bytes)} MiB written, {Mib(mat.DiskBytes)} MiB on disk.");
                md.AppendLine();
            }

            md.AppendLine("| P | ratio | inference | construction | written | on disk | written / materialization | on disk / materialization | on disk / materialization on disk | bounds median | bounds p90 | bounds inferred (median) | bounds inferred / oracle (total) | NTA median |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (IndexMeasurement i in data.Results.Indexes.Where(i => i.Layer == layer.Role).OrderBy(i => i.Partitions).ThenBy(i => i.Ratio))
            {
                Summary lat = data.GridLatency(layer.Role, i.Partitions, i.Ratio);
                QueryMeasurement[] b = data.GridQueries(layer.Role, "bounds", i.Partitions, i.Ratio).ToArray();
                QueryMeasurement[] n = data.GridQueries(layer.Role, "nta", i.Partitions, i.Ratio).ToArray();
                long oracle = b.Sum(q => q.Oracle ?? 0);
                string marker = i.Partitions == data.DefaultPartitions && i.Ratio.Equals(data.DefaultRatio) ? " (default)" : "";
                md.AppendLine(_c, $"| {i.Partitions}{marker} | {i.Ratio} | {i.InferenceMs / 1000.0:F1} s | {i.ConstructionMs / 1000.0:F1} s | {Mib(i.IndexBytes)} MiB | {Mib(i.DiskBytes)} MiB | {P(i.IndexFraction)} | {P(i.DiskFraction)} | {(mat is null ? "-" : P((double)i.DiskBytes / mat.DiskBytes))} | {Ms(lat.Median)} | {Ms(lat.P90)} | {Med(b.Select(q => (double)q.Inferred))} | {R(oracle == 0 ? double.NaN : (double)b.Sum(q => q.Inferred) / oracle)} | {(n.Length == 0 ? "-" : Ms(Summary.Of(n.Select(q => q.FinalMs)).Median))} |");
            }

            md.AppendLine();
        }
    }

    /// <summary>The workload's totals and script.</summary>
    public static void Workload(StringBuilder md, ReportData data)
    {
        PaperBenchmarkResults r = data.Results;
        md.AppendLine("## Workload: a simulated interpretation session");
        md.AppendLine();
        md.AppendLine("![workload](benchmarks/workload.png)");
        md.AppendLine();
        md.AppendLine(_c, $"{r.Workload.Count} seeded queries. The session starts at a misclassified input (predicted by the model's `logits` layer; not timed), picks a layer, a group of the target's top-1, -3 or -10 neurons and a query type (similar 60%, highest 40%), then moves on: to one of the results (45%), to another misclassified input (20%), to a random input (10%), or to the same input in another layer (25%). Our system runs first and fixes the script (pivots depend on answers); the others replay it and every answer is compared with ours.");
        md.AppendLine();
        md.AppendLine("| system | what it does | total | setup | queries | inferred | cache hits | ReprocessAll total / total |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        WorkloadSystemResult? reprocess = r.WorkloadSystems.FirstOrDefault(s => s.System == "reprocess");
        foreach (WorkloadSystemResult s in r.WorkloadSystems)
        {
            md.AppendLine(_c, $"| {ReportData.SystemName(s.System)} | {s.Description} | {s.TotalMs / 1000:F1} s | {s.SetupMs / 1000:F1} s | {s.QueryMs / 1000:F1} s | {s.Inferred:N0} | {s.CacheHits:N0} | {(reprocess is null ? "-" : X(reprocess.TotalMs / s.TotalMs))} |");
        }

        md.AppendLine();
        md.AppendLine(_c, $"Script: {Counts(r.Workload.Select(s => s.Layer))} queries per layer; {Counts(r.Workload.Select(s => s.Type))}; group sizes {Counts(r.Workload.Select(s => $"top-{s.GroupSize}"))}; targets picked as {Counts(r.Workload.Select(s => s.Origin))}.");
        md.AppendLine();
    }

    private static string Three(Summary s) => s.Count == 0 ? "-" : $"{Ms(s.Median)} / {Ms(s.P90)} / {Ms(s.Max)}";

    private static string Med(IEnumerable<double> values)
    {
        double median = Summary.Of(values).Median;
        return double.IsFinite(median) ? median.ToString("N0", _c) : "-";
    }

    private static string Counts(IEnumerable<string> values) =>
        string.Join(", ", values.GroupBy(v => v).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("N1", _c);
}
