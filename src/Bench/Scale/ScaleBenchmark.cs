using System.Diagnostics;
using System.Globalization;
using DeepEverest.Bench.Results;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Bench.Scale;

/// <summary>
/// How the engine grows with the dataset, in process: for each size of augmented Fashion-MNIST
/// (<see cref="ScaleData"/>), one store is imported and each layer indexed (build time against one
/// inference pass, peak RSS, bytes written and on disk against the float32 materialization), every
/// query's exact answer comes from one shared brute-force pass, and each query runs with the
/// bounds strategy (first update, exact answer, inferences against the oracle minimum) and
/// ReprocessAll a few times. The largest size is also imported and indexed as input-range shards,
/// each shard a store of its own built from its own inputs. Every answer is checked bit for bit.
/// </summary>
/// <remarks>
/// The router's side (queries over the shards, its overhead against one node) runs over gRPC and
/// is measured by <c>make router-inferences</c>, not here. The activation cache is off.
/// </remarks>
public sealed class ScaleBenchmark : IDisposable
{
    private const string Dataset = "fashion-mnist-aug";

    private readonly ScaleBenchmarkOptions _options;
    private readonly IProgress<string>? _progress;
    private readonly IKernels _kernels;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<LayerInfo> _layers = [];
    private readonly List<ScaleBuild> _builds = [];
    private readonly List<ScaleQuery> _queries = [];
    private readonly List<string> _mismatches = [];
    private string _loadAtStart = "";

    private ScaleBenchmark(ScaleBenchmarkOptions options, IProgress<string>? progress)
    {
        _options = options;
        _progress = progress;
        _kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
    }

    /// <summary>Runs the benchmark (hours with <see cref="ScaleBenchmarkOptions.Full"/> on 2 cores, a minute or two with Quick).</summary>
    public static ScaleBenchmarkResults Run(ScaleBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken) =>
        BenchmarkRun.Run(options, () => new ScaleBenchmark(options, progress), b => b.Execute(cancellationToken));

    /// <inheritdoc />
    public void Dispose() => _kernels.Dispose();

    private ScaleBenchmarkResults Execute(CancellationToken cancellationToken)
    {
        string date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        _loadAtStart = MachineInfo.LoadAverage();
        BenchStores.PrepareDataRoot(_options.DataRoot);
        foreach (int size in _options.Sizes)
        {
            Size(size, cancellationToken);
        }

        Report($"done in {_clock.Elapsed.TotalMinutes:F1} min; {_mismatches.Count} inexact answer(s)");
        return new ScaleBenchmarkResults(date, MachineInfo.Describe(), MachineInfo.ShortName(), Environment.ProcessorCount, _kernels.Name, _options.IsQuick,
            _options.K, Settings(), _layers, _builds, _queries, _mismatches, Math.Round(_clock.Elapsed.TotalSeconds, 1));
    }

    private void Size(int inputs, CancellationToken cancellationToken)
    {
        string directory = Path.Combine(_options.DataRoot, $"n{inputs}");
        long start = Stopwatch.GetTimestamp();
        DatasetPartPaths source = ScaleData.Write(Path.Combine(directory, "source"), _options.DatasetDirectory, inputs);
        Report($"{inputs:N0} inputs: augmented source written in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");

        string root = Path.Combine(directory, "store");
        (ModelRecord model, double importMs) = CreateStore(root, source, null);
        if (_layers.Count == 0)
        {
            foreach ((string role, string name) in _options.Layers)
            {
                LayerEntry entry = model.Layers.FirstOrDefault(l => l.Name == name) ?? throw new ArgumentException($"The model has no layer '{name}'.");
                _layers.Add(new LayerInfo(role, name, entry.Shape.ToArray(), entry.Neurons));
            }
        }

        // Targets among the source images, so that every size answers the same targets' queries.
        int[] targets = QueryPlan.Targets(_options.Seed, Math.Min(inputs, ScaleData.SourceImages), _options.Targets);
        for (int l = 0; l < _layers.Count; l++)
        {
            (IndexMeasurement index, double peak, bool perBuild) = Build(root, _layers[l], inputs, cancellationToken);
            double passMs = Queries(root, l, inputs, targets, cancellationToken);
            _builds.Add(new ScaleBuild(inputs, -1, inputs, l == 0 ? importMs : 0, index, passMs, peak, perBuild));
        }

        if (inputs == _options.Sizes[^1] && _options.Shards > 0)
        {
            for (int s = 0; s < _options.Shards; s++)
            {
                string shardRoot = Path.Combine(directory, $"shard-{s}");
                (_, double shardImportMs) = CreateStore(shardRoot, source, ImportSlice.Shard(s, _options.Shards));
                int held = ShardInputs(inputs, s);
                for (int l = 0; l < _layers.Count; l++)
                {
                    (IndexMeasurement index, double peak, bool perBuild) = Build(shardRoot, _layers[l], held, cancellationToken);
                    _builds.Add(new ScaleBuild(inputs, s, held, l == 0 ? shardImportMs : 0, index, 0, peak, perBuild));
                }

                BenchStores.Delete(shardRoot);
            }
        }

        if (!_options.KeepData)
        {
            BenchStores.Delete(directory);
        }
    }

    private int ShardInputs(int inputs, int shard)
    {
        (long from, long to) = ImportSlice.Shard(shard, _options.Shards).Resolve(inputs);
        return (int)(to - from);
    }

    private (ModelRecord Model, double ImportMs) CreateStore(string root, DatasetPartPaths source, ImportSlice? slice)
    {
        using StoreWriter store = StoreWriter.OpenPrimary(root);
        ModelRecord model = ModelCatalog.Register(store, BenchStores.Model, File.ReadAllBytes(_options.ModelPath), replace: true);
        long start = Stopwatch.GetTimestamp();
        var request = new DatasetImportRequest(Dataset, [source], InputPreprocessing.Affine(1 / 255f, 0), [1, 28, 28], Replace: true, Slice: slice);
        DatasetRecord record = DatasetImport.Import(store, request, DataFile.OpenTrusted);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Report($"{Path.GetFileName(root)}: imported {record.Count:N0} inputs (ids from {record.IdStart:N0}) in {ms / 1000:F1} s");
        return (model, Math.Round(ms, 1));
    }

    private (IndexMeasurement Index, double PeakMib, bool PerBuild) Build(string root, LayerInfo layer, int held, CancellationToken cancellationToken)
    {
        long before = BenchStores.DiskBytes(root);
        bool perBuild = PeakMemory.Reset();
        IndexRecord record;
        double wall;
        using (StoreWriter store = StoreWriter.OpenPrimary(root))
        {
            var builder = new IndexBuilder(store, _kernels, new IndexBuildOptions { MemoryBudgetMb = _options.BuildMemoryBudgetMb, TempDirectory = Path.Combine(_options.DataRoot, "spill") });
            long start = Stopwatch.GetTimestamp();
            record = builder.Build(new IndexBuildRequest(BenchStores.Model, Dataset, layer.Name, _options.Partitions, _options.Ratio), null, cancellationToken);
            wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        double peak = PeakMemory.PeakMib();
        long disk = BenchStores.DiskBytes(root) - before;
        var index = new IndexMeasurement(layer.Role, _options.Partitions, _options.Ratio, record.InferenceMs, record.ConstructionMs, Math.Round(wall, 1),
            record.IndexBytes, disk, (long)held * layer.Neurons * 4, record.Spilled, record.Summaries?.Bytes ?? 0);
        Report($"{Path.GetFileName(root)} {layer.Role}: index of {held:N0} inputs in {wall / 1000:F1} s (inference {record.InferenceMs / 1000.0:F1} s), peak RSS {peak:F0} MiB, {index.IndexFraction:P1} of materialization written, {index.DiskFraction:P1} on disk{(record.Spilled ? ", spilled" : "")}");
        return (index, peak, perBuild);
    }

    /// <summary>Runs the layer's queries; returns the reference pass's milliseconds (one inference pass).</summary>
    private double Queries(string root, int layerIndex, int inputs, int[] targets, CancellationToken cancellationToken)
    {
        LayerInfo layer = _layers[layerIndex];
        using StoreWriter store = StoreWriter.OpenPrimary(root);
        using var engine = new QueryEngine(store, _kernels, new QueryEngineOptions { CacheMb = 0 });
        var plan = new PaperBenchmarkOptions { Seed = _options.Seed, TopGroupSizes = _options.TopGroupSizes, RandomGroupSize = _options.RandomGroupSize };
        var queries = new List<BenchQuery>();
        var rows = new Dictionary<int, float[]>();
        foreach (int target in targets)
        {
            rows[target] = engine.Activations(BenchStores.Model, Dataset, layer.Name, new QueryTarget(target, null), 0, cancellationToken).Values;
            foreach (QueryType type in new[] { QueryType.Similar, QueryType.Highest })
            {
                foreach ((string kind, GroupSpec group) in QueryPlan.Groups(plan, layerIndex, layer.Neurons, target))
                {
                    queries.Add(new BenchQuery(layer.Role, layer.Name, type, target, kind, group));
                }
            }
        }

        (Dictionary<string, (int Id, double Score)[]> references, double passMs) = References(store, layer, queries, rows, cancellationToken);
        TimedQuery.Run(engine, queries[0].ToQuery(QueryStrategy.Bounds, _options.K, dataset: Dataset, useCache: false), cancellationToken);
        foreach (BenchQuery q in queries)
        {
            (int Id, double Score)[] reference = references[q.Key];
            TopKQuery query = q.ToQuery(QueryStrategy.Bounds, _options.K, dataset: Dataset, useCache: false);
            TimedQuery run = TimedQuery.Run(engine, query, cancellationToken);
            (int kthId, double kthScore) = reference[^1];
            long oracle = OracleMinimum.Of(engine, query, q.Type == QueryType.Similar ? kthScore : -kthScore, kthId, cancellationToken);
            Record(inputs, q, "bounds", run, oracle, reference);
        }

        Report($"n{inputs} {layer.Role}: {queries.Count} queries, median exact answer in {Median(_queries.Where(m => m.Inputs == inputs && m.Query.Layer == layer.Role && m.Query.Strategy == "bounds").Select(m => m.Query.FinalMs)):F1} ms");
        for (int t = 0; t < _options.ReprocessRuns; t++)
        {
            QueryType type = (layerIndex + t) % 2 == 0 ? QueryType.Similar : QueryType.Highest;
            BenchQuery q = queries.First(x => x.Type == type && x.Target == targets[t]);
            TimedQuery run = TimedQuery.Run(engine, q.ToQuery(QueryStrategy.ReprocessAll, _options.K, dataset: Dataset, useCache: false), cancellationToken);
            Record(inputs, q, "reprocess", run, null, references[q.Key]);
            Report($"n{inputs} {layer.Role} ReprocessAll {q.TypeName} {q.GroupKind} target {q.Target}: {run.FinalMs / 1000:F1} s");
        }

        return passMs;
    }

    private (Dictionary<string, (int Id, double Score)[]> Answers, double PassMs) References(
        StoreReader store, LayerInfo layer, List<BenchQuery> queries, Dictionary<int, float[]> rows, CancellationToken cancellationToken)
    {
        var pass = new List<BruteForcePass.Query>();
        foreach (BenchQuery q in queries)
        {
            pass.Add(BruteForcePass.Query.For(q, layer.Shape, rows[q.Target]));
        }

        long start = Stopwatch.GetTimestamp();
        LayerProbe probe = LayerProbe.Resolve(store, BenchStores.Model, Dataset, layer.Name);
        Dictionary<string, (int Id, double Score)[]> answers = BruteForcePass.Answers(store, _kernels, probe, pass, _options.K, _progress, cancellationToken);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Report($"{layer.Role}: reference answers of {queries.Count} queries from one inference pass in {ms / 1000:F1} s");
        return (answers, Math.Round(ms, 1));
    }

    private void Record(int inputs, BenchQuery q, string strategy, TimedQuery run, long? oracle, IReadOnlyList<(int Id, double Score)> reference)
    {
        bool exact = Answers.Same(run.Answer, reference);
        if (!exact)
        {
            _mismatches.Add($"n{inputs} {strategy} {q.Key}: {Answers.Difference(run.Answer, reference)}");
        }

        QueryStatsInfo stats = run.Last.Stats;
        _queries.Add(new ScaleQuery(inputs, new QueryMeasurement(q.Layer, _options.Partitions, _options.Ratio, strategy, q.TypeName, q.GroupKind, q.Target,
            Math.Round(run.FirstMs, 3), Math.Round(run.FinalMs, 3), stats.InputsInferred, stats.InputsPruned, stats.ExactFromIndex, oracle, exact, stats.GroupSize,
            QueryMeasurement.ProfileOf(run.Last.Profile))));
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? 0 : sorted[(sorted.Length - 1) / 2];
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["model"] = $"the demo CNN ({_options.ModelPath})",
        ["dataset"] = $"augmented Fashion-MNIST: input g is image g mod 70,000 (train then test) under augmentation g / 70,000, where augmentation c mirrors left-right when c is odd and shifts by {string.Join(", ", ScaleData.Shifts.Select(s => $"({s.Dx}, {s.Dy})"))}[c / 2] pixels (background fill); stored as uint8, pixel / 255",
        ["sizes"] = string.Join(", ", _options.Sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture))),
        ["shards"] = _options.Shards == 0 ? "none" : $"{_options.Shards} input-range shards of the largest size, each imported from the same source with --shard i/{_options.Shards} and indexed from its own inputs",
        ["targets"] = $"{_options.Targets} seeded random ids among the first 70,000 (the same at every size)",
        ["groups"] = $"top-{string.Join(", top-", _options.TopGroupSizes)} of the target and {_options.RandomGroupSize} random neurons",
        ["types"] = "similar (l2, the target excluded from its answer), highest (sum)",
        ["k"] = _options.K.ToString(CultureInfo.InvariantCulture),
        ["index"] = $"P={_options.Partitions}, ratio={_options.Ratio.ToString(CultureInfo.InvariantCulture)}, build budget {_options.BuildMemoryBudgetMb} MiB",
        ["verification"] = "bounds strategy, adaptive batches, activation cache off",
        ["reprocess"] = $"ReprocessAll {_options.ReprocessRuns} time(s) per size and layer",
        ["references"] = "one brute-force inference pass per size and layer computes every query's exact answer; its time is the 'one inference pass' builds are compared with",
        ["peak RSS"] = "VmHWM of the process, reset before each build (Linux /proc/self/clear_refs)",
        ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
        ["load average"] = $"{_loadAtStart} at the start, {MachineInfo.LoadAverage()} at the end (1, 5, 15 min)",
    };

    private void Report(string line) =>
        _progress?.Report(string.Create(CultureInfo.InvariantCulture, $"[{(int)_clock.Elapsed.TotalHours:D1}:{_clock.Elapsed.Minutes:D2}:{_clock.Elapsed.Seconds:D2}] {line}"));
}
