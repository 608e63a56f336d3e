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
/// Reproduces the paper's experiments on the demo model, in process (no gRPC), in one run:
/// materializations (PreprocessAll), the P x ratio index grid with per-query measurements of every
/// strategy and the oracle minimum of inferences, ReprocessAll, and a simulated interpretation
/// session. Every answer is checked against PreprocessAll's, bit for bit.
/// </summary>
/// <remarks>
/// Per-query timings use engines with the activation cache off (<c>CacheMb = 0</c>), one engine
/// per store, warmed up by one untimed query per strategy, so queries never help each other and
/// ONNX Runtime session creation is not timed. Only the workload uses a cache.
/// </remarks>
public sealed partial class PaperBenchmark : IDisposable
{
    private readonly PaperBenchmarkOptions _options;
    private readonly IProgress<string>? _progress;
    private readonly IKernels _kernels;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<LayerInfo> _layers = [];
    private readonly List<MaterializationMeasurement> _materializations = [];
    private readonly List<IndexMeasurement> _indexes = [];
    private readonly List<QueryMeasurement> _queries = [];
    private readonly List<string> _mismatches = [];
    private readonly Dictionary<string, IReadOnlyList<(int Id, double Score)>> _references = [];
    private readonly Dictionary<string, MaterializationRecord> _materialized = [];
    private readonly Dictionary<string, List<(string Kind, GroupSpec Group)>> _largeGroups = [];
    private readonly string _baseRoot;
    private StoreWriter? _matStore;
    private QueryEngine? _matEngine;
    private long _baseDiskBytes;
    private int[] _targets = [];
    private int _inputs;
    private string _loadAtStart = "";

    private PaperBenchmark(PaperBenchmarkOptions options, IProgress<string>? progress)
    {
        _options = options;
        _progress = progress;
        _kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        _baseRoot = Path.Combine(options.DataRoot, "base");
    }

    private StoreWriter MatStore => _matStore ?? throw new InvalidOperationException("Materializations are not ready.");

    private QueryEngine MatEngine => _matEngine ?? throw new InvalidOperationException("Materializations are not ready.");

    /// <summary>
    /// Runs the benchmark. Takes about an hour with <see cref="PaperBenchmarkOptions.Full"/> on 2
    /// cores and a few minutes with <see cref="PaperBenchmarkOptions.Quick"/>.
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Receives one line per step; may be null.</param>
    /// <param name="cancellationToken">Cancels between queries.</param>
    /// <returns>Every measurement; <see cref="PaperBenchmarkResults.Mismatches"/> lists inexact answers.</returns>
    public static PaperBenchmarkResults Run(PaperBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken) =>
        BenchmarkRun.Run(options, () => new PaperBenchmark(options, progress), b => b.Execute(cancellationToken), b => b.ReleaseStores());

    /// <inheritdoc />
    public void Dispose()
    {
        ReleaseStores();
        _kernels.Dispose();
    }

    private PaperBenchmarkResults Execute(CancellationToken cancellationToken)
    {
        string date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        Setup();
        Materialize(cancellationToken);
        Grid(cancellationToken);
        Reprocess(cancellationToken);
        (List<WorkloadStep> steps, List<WorkloadSystemResult> systems) = Workload(cancellationToken);
        Report($"done in {_clock.Elapsed.TotalMinutes:F1} min; {_mismatches.Count} inexact answer(s)");
        return new PaperBenchmarkResults(
            date,
            MachineInfo.Describe(),
            MachineInfo.ShortName(),
            Environment.ProcessorCount,
            _kernels.Name,
            _options.IsQuick,
            _inputs,
            _options.K,
            Settings(),
            _layers,
            _materializations,
            _indexes,
            _queries,
            steps,
            systems,
            _mismatches,
            Math.Round(_clock.Elapsed.TotalSeconds, 1));
    }

    private void Setup()
    {
        _loadAtStart = MachineInfo.LoadAverage();
        BenchStores.PrepareDataRoot(_options.DataRoot);
        Report($"importing {_options.Inputs} Fashion-MNIST images and registering the model into {Path.GetFullPath(_options.DataRoot)}");
        ModelRecord model = BenchStores.CreateBase(_baseRoot, _options.ModelPath, _options.DatasetDirectory, _options.Inputs);
        _baseDiskBytes = BenchStores.DiskBytes(_baseRoot);
        _inputs = _options.Inputs;
        foreach ((string role, string name) in _options.Layers)
        {
            LayerEntry entry = model.Layers.FirstOrDefault(l => l.Name == name)
                ?? throw new ArgumentException($"The model has no layer '{name}'.");
            _layers.Add(new LayerInfo(role, name, entry.Shape.ToArray(), entry.Neurons));
        }

        _targets = QueryPlan.Targets(_options.Seed, _inputs, _options.Targets);
        Report($"layers: {string.Join(", ", _layers.Select(l => $"{l.Role} = {l.Name} ({l.Neurons} neurons)"))}; targets: {string.Join(", ", _targets)}");
    }

    private void Materialize(CancellationToken cancellationToken)
    {
        string root = BenchStores.Copy(_baseRoot, Path.Combine(_options.DataRoot, "materialized"));
        long before = _baseDiskBytes;
        foreach (LayerInfo layer in _layers)
        {
            MaterializationRecord record;
            double wall;
            using (StoreWriter store = StoreWriter.OpenPrimary(root))
            {
                var builder = new IndexBuilder(store, _kernels, BuildOptions());
                long start = Stopwatch.GetTimestamp();
                record = builder.Materialize(BenchStores.Model, BenchStores.Dataset, layer.Name, 0, null, cancellationToken);
                wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            long after = BenchStores.DiskBytes(root);
            _materializations.Add(new MaterializationMeasurement(layer.Role, Math.Round(wall, 1), record.InferenceMs, record.Bytes, after - before));
            Report($"materialized {layer.Role}: {wall / 1000:F1} s (inference {record.InferenceMs / 1000.0:F1} s), {Mib(record.Bytes)} MiB, {Mib(after - before)} MiB on disk");
            before = after;
        }

        _matStore = StoreWriter.OpenPrimary(root);
        _matEngine = new QueryEngine(_matStore, _kernels, new QueryEngineOptions { CacheMb = 0 });
        foreach (LayerInfo layer in _layers)
        {
            _materialized[layer.Role] = _matStore.GetMaterialization(BenchStores.Model, BenchStores.Dataset, layer.Name)!;
        }
    }

    private IndexBuildOptions BuildOptions() => new()
    {
        MemoryBudgetMb = _options.BuildMemoryBudgetMb,
        TempDirectory = Path.Combine(_options.DataRoot, "spill"),
    };

    private void ReleaseStores()
    {
        _matEngine?.Dispose();
        _matEngine = null;
        _matStore?.Dispose();
        _matStore = null;
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["model"] = $"{BenchStores.Model} ({_options.ModelPath})",
        ["dataset"] = $"Fashion-MNIST, first {_inputs} of train then test, pixel / 255",
        ["targets"] = $"{_options.Targets} seeded random inputs at P={_options.DefaultPartitions}, ratio={_options.DefaultRatio} (NTA on the first {_options.NtaTargets}); the first {_options.GridTargets} (bounds, PreprocessAll) and {_options.GridNtaTargets} (NTA) at the other grid points",
        ["reprocess"] = $"ReprocessAll on the first {_options.ReprocessTargets} target(s) per layer and query type, one group each (rotating through the kinds)",
        ["groups"] = $"top-{string.Join(", top-", _options.TopGroupSizes)} of the target, {_options.RandomGroupSize} random neurons (seeded per layer and target), the 3x3 positions around the target's most activated neuron in its channel (rect-3x3) and that whole channel (channel; NTA not run on it)",
        ["types"] = "similar (l2, the target excluded from its answer), highest (sum)",
        ["k"] = _options.K.ToString(CultureInfo.InvariantCulture),
        ["grid"] = $"P in {{{string.Join(", ", _options.Partitions)}}} x ratio in {{{string.Join(", ", _options.Ratios.Select(r => r.ToString(CultureInfo.InvariantCulture)))}}}",
        ["default index"] = $"P={_options.DefaultPartitions}, ratio={_options.DefaultRatio.ToString(CultureInfo.InvariantCulture)}",
        ["per-query engines"] = "activation cache off (CacheMb = 0), warmed up by one untimed query per strategy; bounds verifies in adaptive batches of at most 64 (bounds) and, at the default index, also in fixed batches of 64 (bounds-fixed)",
        ["workload"] = $"{_options.WorkloadQueries} queries, seed {_options.Seed + 17}, our cache {_options.WorkloadCacheMb} MiB",
        ["build memory budget"] = $"{_options.BuildMemoryBudgetMb} MiB",
        ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
        ["load average"] = $"{_loadAtStart} at the start, {MachineInfo.LoadAverage()} at the end (1, 5, 15 min; other work on the machine slows every strategy alike)",
    };

    private void Report(string line) =>
        _progress?.Report(string.Create(CultureInfo.InvariantCulture, $"[{(int)_clock.Elapsed.TotalMinutes:D2}:{_clock.Elapsed.Seconds:D2}] {line}"));

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
}
