using System.Diagnostics;
using DeepEverest.Bench.Results;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;

namespace DeepEverest.Bench;

/// <summary>
/// The multi-query workload: a seeded interpretation session, run by our system first (which
/// fixes the script, since pivots depend on answers), then replayed by the baselines, each answer
/// checked against ours.
/// </summary>
public sealed partial class PaperBenchmark
{
    private (List<WorkloadStep> Steps, List<WorkloadSystemResult> Systems) Workload(CancellationToken cancellationToken)
    {
        int[] misclassified = Misclassified(cancellationToken);
        Report($"workload: {misclassified.Length} misclassified inputs ({(double)misclassified.Length / _inputs:P1}); predictions by the logits layer, not timed");
        var systems = new List<WorkloadSystemResult>();
        (List<WorkloadStep> steps, List<IReadOnlyList<(int Id, double Score)>> answers, WorkloadSystemResult ours) = RunOurs(misclassified, cancellationToken);
        systems.Add(ours);

        double materializeMs = _materializations.Sum(m => m.WallMs);
        systems.Add(Replay("preprocess", "PreprocessAll: all three layers materialized up front (time included), then scans", steps, answers, materializeMs,
            s => Engine(s, QueryStrategy.Materialized, cancellationToken)));
        systems.Add(Replay("reprocess", "ReprocessAll: every query runs the network over every input", steps, answers, 0,
            s => Engine(s, QueryStrategy.ReprocessAll, cancellationToken)));

        // The LRU may hold as many bytes as our three default indexes.
        long budget = _layers.Sum(l => _indexes.First(i => i.Layer == l.Role && IsDefault(i.Partitions, i.Ratio)).IndexBytes);
        using (var lru = new LruBaseline(MatStore, _kernels, budget))
        {
            systems.Add(Replay("lru", $"LRU cache of full-layer rows ({Mib(budget)} MiB, the size of our indexes), ReprocessAll for misses", steps, answers, 0, s =>
            {
                LayerInfo layer = _layers.First(l => l.Role == s.Layer);
                return lru.Run(layer.Name, TypeOf(s), s.Target, s.GroupSize, _options.K, cancellationToken);
            }));
        }

        return (steps, systems);
    }

    private (List<WorkloadStep>, List<IReadOnlyList<(int Id, double Score)>>, WorkloadSystemResult) RunOurs(int[] misclassified, CancellationToken cancellationToken)
    {
        string root = BenchStores.Copy(_baseRoot, Path.Combine(_options.DataRoot, "workload"));
        var steps = new List<WorkloadStep>();
        var answers = new List<IReadOnlyList<(int Id, double Score)>>();
        var stepMs = new List<double>();
        double setupMs = 0;
        double queryMs = 0;
        long inferred = 0;
        long hits = 0;
        using (StoreWriter store = StoreWriter.OpenPrimary(root))
        using (var engine = new QueryEngine(store, _kernels, new QueryEngineOptions { CacheMb = _options.WorkloadCacheMb }))
        {
            var builder = new IndexBuilder(store, _kernels, BuildOptions());
            var built = new HashSet<string>();
            var rng = new Random(_options.Seed + 17);
            int Pick(int[] from) => from.Length > 0 ? from[rng.Next(from.Length)] : rng.Next(_inputs);
            int target = Pick(misclassified);
            int layerIndex = rng.Next(_layers.Count);
            string origin = "misclassified";
            for (int step = 0; step < _options.WorkloadQueries; step++)
            {
                LayerInfo layer = _layers[layerIndex];
                int m = _options.TopGroupSizes[rng.Next(_options.TopGroupSizes.Count)];
                QueryType type = rng.NextDouble() < 0.6 ? QueryType.Similar : QueryType.Highest;
                double setup = 0;
                if (built.Add(layer.Role))
                {
                    long start = Stopwatch.GetTimestamp();
                    builder.Build(new IndexBuildRequest(BenchStores.Model, BenchStores.Dataset, layer.Name, _options.DefaultPartitions, _options.DefaultRatio), null, cancellationToken);
                    setup = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                var q = new BenchQuery(layer.Role, layer.Name, type, target, $"top-{m}", new GroupSpec.TopOfTarget(m));
                TimedQuery run = TimedQuery.Run(engine, q.ToQuery(QueryStrategy.Bounds, _options.K), cancellationToken);
                steps.Add(new WorkloadStep(step, layer.Role, q.TypeName, target, m, origin));
                answers.Add(run.Answer);
                stepMs.Add(Math.Round(setup + run.FinalMs, 3));
                setupMs += setup;
                queryMs += run.FinalMs;
                inferred += run.Last.Stats.InputsInferred;
                hits += run.Last.Stats.CacheHits;

                // The analyst's next move: look closer at a result, go back to a misclassified
                // input, try a random one, or ask about the same input in another layer.
                double move = rng.NextDouble();
                if (move < 0.45 && run.Answer.Count > 0)
                {
                    target = run.Answer[rng.Next(run.Answer.Count)].Id;
                    origin = "pivot";
                    layerIndex = rng.NextDouble() < 0.3 ? rng.Next(_layers.Count) : layerIndex;
                }
                else if (move < 0.65)
                {
                    target = Pick(misclassified);
                    origin = "misclassified";
                    layerIndex = rng.Next(_layers.Count);
                }
                else if (move < 0.75)
                {
                    target = rng.Next(_inputs);
                    origin = "random";
                }
                else
                {
                    origin = "same";
                    layerIndex = _layers.Count == 1 ? 0 : (layerIndex + 1 + rng.Next(_layers.Count - 1)) % _layers.Count;
                }
            }
        }

        BenchStores.Delete(root);
        var result = new WorkloadSystemResult("ours", $"bounds on indexes built on first use of a layer (P={_options.DefaultPartitions}, ratio={_options.DefaultRatio}), activation cache {_options.WorkloadCacheMb} MiB",
            Math.Round(setupMs + queryMs, 1), Math.Round(setupMs, 1), Math.Round(queryMs, 1), inferred, hits, stepMs);
        Report($"workload ours: {result.TotalMs / 1000:F1} s (index builds {setupMs / 1000:F1} s), {inferred} inferred, {hits} cache hits");
        return (steps, answers, result);
    }

    private WorkloadSystemResult Replay(
        string system,
        string description,
        List<WorkloadStep> steps,
        List<IReadOnlyList<(int Id, double Score)>> expected,
        double setupMs,
        Func<WorkloadStep, (IReadOnlyList<(int Id, double Score)> Answer, long Inferred, long CacheHits)> run)
    {
        var stepMs = new List<double>();
        double queryMs = 0;
        long inferred = 0;
        long hits = 0;
        foreach (WorkloadStep step in steps)
        {
            long start = Stopwatch.GetTimestamp();
            (IReadOnlyList<(int Id, double Score)> answer, long stepInferred, long stepHits) = run(step);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!Answers.Same(answer, expected[step.Step]))
            {
                _mismatches.Add($"workload {system} step {step.Step} ({step.Layer} {step.Type} top-{step.GroupSize} target {step.Target}): {Answers.Difference(answer, expected[step.Step])}");
            }

            stepMs.Add(Math.Round(ms + (step.Step == 0 ? setupMs : 0), 3));
            queryMs += ms;
            inferred += stepInferred;
            hits += stepHits;
            if ((step.Step + 1) % 10 == 0)
            {
                Report($"workload {system}: {step.Step + 1}/{steps.Count} queries, {(setupMs + queryMs) / 1000:F1} s so far");
            }
        }

        return new WorkloadSystemResult(system, description, Math.Round(setupMs + queryMs, 1), Math.Round(setupMs, 1), Math.Round(queryMs, 1), inferred, hits, stepMs);
    }

    private (IReadOnlyList<(int Id, double Score)>, long, long) Engine(WorkloadStep step, QueryStrategy strategy, CancellationToken cancellationToken)
    {
        LayerInfo layer = _layers.First(l => l.Role == step.Layer);
        var q = new BenchQuery(layer.Role, layer.Name, TypeOf(step), step.Target, $"top-{step.GroupSize}", new GroupSpec.TopOfTarget(step.GroupSize));
        TimedQuery run = TimedQuery.Run(MatEngine, q.ToQuery(strategy, _options.K), cancellationToken);
        return (run.Answer, run.Last.Stats.InputsInferred, run.Last.Stats.CacheHits);
    }

    private static QueryType TypeOf(WorkloadStep step) => step.Type == "similar" ? QueryType.Similar : QueryType.Highest;

    /// <summary>Inputs whose predicted class (argmax of the logits layer) differs from the label.</summary>
    private int[] Misclassified(CancellationToken cancellationToken)
    {
        int[]? labels = MatStore.GetLabels(BenchStores.Dataset);
        var model = MatStore.RequireModel(BenchStores.Model);
        string? logits = model.Layers.Any(l => l.Name == "logits") ? "logits" : model.Layers.OrderBy(l => l.Order).LastOrDefault()?.Name;
        if (labels is null || logits is null)
        {
            return [];
        }

        LayerProbe probe = LayerProbe.Resolve(MatStore, BenchStores.Model, BenchStores.Dataset, logits);
        using var runners = new RunnerPool(0, 256);
        var source = new ActivationSource(MatStore, probe, runners, null);
        int classes = probe.Neurons;
        var rows = new float[256 * classes];
        var wrong = new List<int>();
        for (int start = 0; start < _inputs; start += 256)
        {
            int count = Math.Min(256, _inputs - start);
            int[] ids = Enumerable.Range(start, count).ToArray();
            source.Rows(ids, rows.AsSpan(0, count * classes), cancellationToken);
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> row = rows.AsSpan(i * classes, classes);
                int predicted = row.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(row));
                if (predicted != labels[start + i])
                {
                    wrong.Add(start + i);
                }
            }
        }

        return [.. wrong];
    }
}
