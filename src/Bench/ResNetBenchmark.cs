using System.Diagnostics;
using System.Globalization;
using DeepEverest.Bench.Results;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Bench;

/// <summary>
/// The second benchmark: a pretrained ImageNet ResNet18 (the paper's case: a network where every
/// avoided inference is expensive) on Fashion-MNIST resized to 3x224x224, in process. Per layer:
/// one index build, every query's reference answer from one shared brute-force pass, then each
/// query with adaptive and with fixed verification batches (and its oracle minimum), and
/// ReprocessAll on a few targets. Every answer is checked against the reference, bit for bit.
/// </summary>
/// <remarks>
/// NTA is not run here: it infers tens of times the oracle minimum (docs/benchmarks.md), hours per
/// layer at 15-27 ms per inference. The engine's activation cache is off, so no query helps another.
/// </remarks>
public sealed class ResNetBenchmark : IDisposable
{
    private readonly ResNetBenchmarkOptions _options;
    private readonly IProgress<string>? _progress;
    private readonly IKernels _kernels;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<LayerInfo> _layers = [];
    private readonly List<IndexMeasurement> _indexes = [];
    private readonly List<QueryMeasurement> _queries = [];
    private readonly Dictionary<string, double> _referencePasses = [];
    private readonly List<string> _mismatches = [];
    private int[] _targets = [];
    private string _loadAtStart = "";

    private ResNetBenchmark(ResNetBenchmarkOptions options, IProgress<string>? progress)
    {
        _options = options;
        _progress = progress;
        _kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
    }

    private string StoreRoot => Path.Combine(_options.DataRoot, "store");

    /// <summary>Runs the benchmark (hours with <see cref="ResNetBenchmarkOptions.Full"/> on 2 cores, minutes with Quick).</summary>
    public static ResNetBenchmarkResults Run(ResNetBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken) =>
        BenchmarkRun.Run(options, () => new ResNetBenchmark(options, progress), b => b.Execute(cancellationToken));

    /// <inheritdoc />
    public void Dispose() => _kernels.Dispose();

    private ResNetBenchmarkResults Execute(CancellationToken cancellationToken)
    {
        string date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        _loadAtStart = MachineInfo.LoadAverage();
        BenchStores.PrepareDataRoot(_options.DataRoot);
        Report($"importing {_options.Inputs} Fashion-MNIST images resized to 3x224x224 and registering ResNet18 into {Path.GetFullPath(_options.DataRoot)}");
        ModelRecord model = ResNetData.CreateBase(StoreRoot, _options.PackageDirectory, _options.DatasetDirectory, _options.Inputs, _options.UInt8Inputs, _progress);
        foreach ((string role, string name) in _options.Layers)
        {
            LayerEntry entry = model.Layers.FirstOrDefault(l => l.Name == name) ?? throw new ArgumentException($"ResNet18 has no layer '{name}'.");
            _layers.Add(new LayerInfo(role, name, entry.Shape.ToArray(), entry.Neurons));
        }

        _targets = QueryPlan.Targets(_options.Seed, _options.Inputs, _options.Targets);
        Report($"layers: {string.Join(", ", _layers.Select(l => $"{l.Role} = {l.Name} [{string.Join("x", l.Shape)}]"))}; targets: {string.Join(", ", _targets)}");
        for (int l = 0; l < _layers.Count; l++)
        {
            Layer(l, cancellationToken);
        }

        Report($"done in {_clock.Elapsed.TotalMinutes:F1} min; {_mismatches.Count} inexact answer(s)");
        return new ResNetBenchmarkResults(date, MachineInfo.Describe(), MachineInfo.ShortName(), Environment.ProcessorCount, _kernels.Name, _options.IsQuick,
            _options.Inputs, _options.K, Settings(), _layers, _indexes, _queries, _referencePasses, _mismatches, Math.Round(_clock.Elapsed.TotalSeconds, 1));
    }

    private void Layer(int layerIndex, CancellationToken cancellationToken)
    {
        LayerInfo layer = _layers[layerIndex];
        long before = BenchStores.DiskBytes(StoreRoot);
        IndexRecord record;
        double wall;
        using (StoreWriter buildStore = StoreWriter.OpenPrimary(StoreRoot))
        {
            var builder = new IndexBuilder(buildStore, _kernels, new IndexBuildOptions { MemoryBudgetMb = _options.BuildMemoryBudgetMb, TempDirectory = Path.Combine(_options.DataRoot, "spill") });
            long start = Stopwatch.GetTimestamp();
            record = builder.Build(new IndexBuildRequest(ResNetData.Model, ResNetData.Dataset, layer.Name, _options.Partitions, _options.Ratio), null, cancellationToken);
            wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        long disk = BenchStores.DiskBytes(StoreRoot) - before;
        var index = new IndexMeasurement(layer.Role, _options.Partitions, _options.Ratio, record.InferenceMs, record.ConstructionMs, Math.Round(wall, 1),
            record.IndexBytes, disk, (long)_options.Inputs * layer.Neurons * 4, record.Spilled, record.Summaries?.Bytes ?? 0);
        _indexes.Add(index);
        Report($"{layer.Role}: index built in {wall / 1000:F1} s (inference {record.InferenceMs / 1000.0:F1} s), {index.IndexFraction:P1} of materialization written (summaries {(double)index.SummaryBytes / index.MaterializedBytes:P2}), {index.DiskFraction:P1} on disk");

        using StoreWriter store = StoreWriter.OpenPrimary(StoreRoot);
        using var engine = new QueryEngine(store, _kernels, new QueryEngineOptions { CacheMb = 0, BatchSize = _options.BatchSize });
        List<BenchQuery> queries = Plan(engine, layerIndex, cancellationToken);
        Dictionary<string, (int Id, double Score)[]> references = References(store, engine, layer, queries, cancellationToken);

        var warm = queries[0];
        TimedQuery.Run(engine, warm.ToQuery(QueryStrategy.Bounds, _options.K, ResNetData.Model, ResNetData.Dataset, useCache: false), cancellationToken);
        foreach (BenchQuery q in queries)
        {
            (int Id, double Score)[] reference = references[q.Key];
            TopKQuery adaptive = q.ToQuery(QueryStrategy.Bounds, _options.K, ResNetData.Model, ResNetData.Dataset, useCache: false);
            TimedQuery run = TimedQuery.Run(engine, adaptive, cancellationToken);
            (int kthId, double kthScore) = reference[^1];
            long oracle = OracleMinimum.Of(engine, adaptive, q.Type == QueryType.Similar ? kthScore : -kthScore, kthId, cancellationToken);
            Record(q, "bounds", run, oracle, reference);
            // The first run also reads the query's index rows and inputs from the store cold, so
            // adaptive and fixed batches are compared on two later runs: fixed, then adaptive again.
            TimedQuery fixedRun = TimedQuery.Run(engine, adaptive with { FixedBatches = true }, cancellationToken);
            Record(q, "bounds-fixed", fixedRun, oracle, reference);
            TimedQuery rerun = TimedQuery.Run(engine, adaptive, cancellationToken);
            Record(q, "bounds-rerun", rerun, oracle, reference);
            Report($"{q.Key}: oracle {oracle}; adaptive {run.Last.Stats.InputsInferred} inferred in {run.FinalMs:F0} ms (again: {rerun.FinalMs:F0} ms); fixed {fixedRun.Last.Stats.InputsInferred} in {fixedRun.FinalMs:F0} ms");
        }

        // ReprocessAll infers every input whatever the type, group or index: a few runs per layer
        // (types and groups rotating) give its time.
        for (int t = 0; t < _options.ReprocessTargets; t++)
        {
            QueryType type = (layerIndex + t) % 2 == 0 ? QueryType.Similar : QueryType.Highest;
            BenchQuery[] kinds = queries.Where(q => q.Type == type && q.Target == _targets[t]).ToArray();
            BenchQuery q = kinds[(layerIndex + t) % kinds.Length];
            TimedQuery run = TimedQuery.Run(engine, q.ToQuery(QueryStrategy.ReprocessAll, _options.K, ResNetData.Model, ResNetData.Dataset, useCache: false), cancellationToken);
            Record(q, "reprocess", run, null, references[q.Key]);
            Report($"{layer.Role} ReprocessAll {q.TypeName} {q.GroupKind} target {q.Target}: {run.FinalMs / 1000:F1} s");
        }
    }

    /// <summary>The layer's queries: every target, both types, the demo's group kinds plus a whole channel and a 3x3 patch.</summary>
    private List<BenchQuery> Plan(QueryEngine engine, int layerIndex, CancellationToken cancellationToken)
    {
        LayerInfo layer = _layers[layerIndex];
        var planOptions = new PaperBenchmarkOptions { Seed = _options.Seed, TopGroupSizes = _options.TopGroupSizes, RandomGroupSize = _options.RandomGroupSize, Layers = _options.Layers };
        var queries = new List<BenchQuery>();
        foreach (int target in _targets)
        {
            float[] row = engine.Activations(ResNetData.Model, ResNetData.Dataset, layer.Name, new QueryTarget(target, null), 0, cancellationToken).Values;
            var groups = QueryPlan.Groups(planOptions, layerIndex, layer.Neurons, target);
            groups.AddRange(QueryPlan.LargeGroups(layer.Shape, row));
            foreach (QueryType type in new[] { QueryType.Similar, QueryType.Highest })
            {
                foreach ((string kind, GroupSpec group) in groups)
                {
                    queries.Add(new BenchQuery(layer.Role, layer.Name, type, target, kind, group));
                }
            }
        }

        return queries;
    }

    /// <summary>Every query's exact answer from one shared inference pass over the dataset.</summary>
    private Dictionary<string, (int Id, double Score)[]> References(StoreReader store, QueryEngine engine, LayerInfo layer, List<BenchQuery> queries, CancellationToken cancellationToken)
    {
        var pass = new List<BruteForcePass.Query>();
        var rows = new Dictionary<int, float[]>();
        foreach (BenchQuery q in queries)
        {
            if (!rows.TryGetValue(q.Target, out float[]? row))
            {
                rows[q.Target] = row = engine.Activations(ResNetData.Model, ResNetData.Dataset, layer.Name, new QueryTarget(q.Target, null), 0, cancellationToken).Values;
            }

            pass.Add(BruteForcePass.Query.For(q, layer.Shape, row));
        }

        long start = Stopwatch.GetTimestamp();
        LayerProbe probe = LayerProbe.Resolve(store, ResNetData.Model, ResNetData.Dataset, layer.Name);
        Dictionary<string, (int Id, double Score)[]> answers = BruteForcePass.Answers(store, _kernels, probe, pass, _options.K, _progress, cancellationToken);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        _referencePasses[layer.Role] = Math.Round(ms, 1);
        Report($"{layer.Role}: reference answers of {queries.Count} queries from one pass in {ms / 1000:F1} s");
        return answers;
    }

    private void Record(BenchQuery q, string strategy, TimedQuery run, long? oracle, IReadOnlyList<(int Id, double Score)> reference)
    {
        IReadOnlyList<(int Id, double Score)> answer = run.Answer;
        bool exact = Answers.Same(answer, reference);
        if (!exact)
        {
            _mismatches.Add($"{strategy} {q.Key}: {Answers.Difference(answer, reference)}");
        }

        QueryStatsInfo stats = run.Last.Stats;
        Dictionary<string, double>? profile = QueryMeasurement.ProfileOf(run.Last.Profile);
        _queries.Add(new QueryMeasurement(q.Layer, _options.Partitions, _options.Ratio, strategy, q.TypeName, q.GroupKind, q.Target,
            Math.Round(run.FirstMs, 3), Math.Round(run.FinalMs, 3), stats.InputsInferred, stats.InputsPruned, stats.ExactFromIndex, oracle, exact, stats.GroupSize, profile));
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["model"] = $"ResNet18 (ImageNet) of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, {ResNetData.ModelFile(_options.PackageDirectory)}",
        ["dataset"] = $"Fashion-MNIST, first {_options.Inputs} of train then test, resized to 224x224 (bilinear), grey in B, G and R, minus the package's mean image (ResNetPreprocess.onnx), {(_options.UInt8Inputs ? "stored as uint8 pixels (150 KB each) with ResNetPreprocess.onnx composed in front of the model" : "stored as float32 model inputs (600 KB each)")}",
        ["targets"] = $"{_options.Targets} seeded random inputs per layer",
        ["groups"] = $"top-{string.Join(", top-", _options.TopGroupSizes)} of the target, {_options.RandomGroupSize} random neurons, the whole channel of the target's most activated neuron (channel) and the 3x3 positions around it (rect-3x3)",
        ["types"] = "similar (l2, the target excluded from its answer), highest (sum)",
        ["k"] = _options.K.ToString(CultureInfo.InvariantCulture),
        ["index"] = $"P={_options.Partitions}, ratio={_options.Ratio.ToString(CultureInfo.InvariantCulture)}, channel summaries as the build chooses them",
        ["verification"] = $"adaptive batches up to {_options.BatchSize} (bounds, timed first; bounds-rerun, the same query after bounds-fixed) and fixed batches of {_options.BatchSize} (bounds-fixed), activation cache off",
        ["reprocess"] = $"ReprocessAll on {_options.ReprocessTargets} target(s) per layer (types and groups rotating: it infers every input whatever they are)",
        ["references"] = "one brute-force inference pass per layer computes every query's exact answer (the exact-cost kernel over the same activations)",
        ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
        ["load average"] = $"{_loadAtStart} at the start, {MachineInfo.LoadAverage()} at the end (1, 5, 15 min; other work on the machine slows every strategy alike)",
    };

    private void Report(string line) =>
        _progress?.Report(string.Create(CultureInfo.InvariantCulture, $"[{(int)_clock.Elapsed.TotalHours:D1}:{_clock.Elapsed.Minutes:D2}:{_clock.Elapsed.Seconds:D2}] {line}"));
}
