using System.Diagnostics.Metrics;
using DeepEverest.Core.Indexing;
using DeepEverest.Hosting;

namespace DeepEverest.IndexService;

/// <summary>
/// The IndexService's metrics, on the shared <see cref="DeepEverestMetrics.MeterName"/> meter:
/// builds queued and running, their durations by phase, the inputs they ran through the model,
/// and the size of each published index (read from the store at each scrape).
/// </summary>
/// <remarks>
/// Tags: <c>kind</c> = index | materialization; <c>phase</c> = queued | inference | construction |
/// publishing; <c>outcome</c> as in <see cref="DeepEverestMetrics.OutcomeOf"/>; <c>model</c>,
/// <c>dataset</c>, <c>layer</c> on index sizes.
/// </remarks>
internal sealed class IndexServiceMetrics
{
    private static readonly double[] _buildBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

    private readonly UpDownCounter<long> _buildsRunning;
    private readonly UpDownCounter<long> _buildsQueued;
    private readonly Histogram<double> _buildDuration;
    private readonly Histogram<double> _buildPhaseDuration;
    private readonly Counter<long> _buildInputs;
    private volatile Func<IEnumerable<IndexSize>>? _indexSizes;

    /// <summary>Creates the instruments on the host's meter from <paramref name="meterFactory"/>.</summary>
    public IndexServiceMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(new MeterOptions(DeepEverestMetrics.MeterName));
        _buildsRunning = meter.CreateUpDownCounter<long>("deepeverest.builds.running", "{build}", "Builds running now (at most one: builds are serialized), by kind.");
        _buildsQueued = meter.CreateUpDownCounter<long>("deepeverest.builds.queued", "{build}", "Builds waiting for the build slot, by kind.");
        _buildDuration = meter.CreateHistogram(
            "deepeverest.build.duration",
            "s",
            "Time a build held the build slot, by kind and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _buildBuckets });
        _buildPhaseDuration = meter.CreateHistogram(
            "deepeverest.build.phase.duration",
            "s",
            "Time builds spent in each phase (queued, inference, construction, publishing), by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _buildBuckets });
        _buildInputs = meter.CreateCounter<long>("deepeverest.build.inputs.done", "{input}", "Inputs run through the model by builds (their inference progress).");
        meter.CreateObservableGauge("deepeverest.index.size", ObserveIndexSizes, "By", "Bytes of each published index, by model, dataset and layer.");
    }

    /// <summary>The tag value of a build phase.</summary>
    public static string PhaseName(BuildPhase phase) => phase switch
    {
        BuildPhase.Queued => "queued",
        BuildPhase.Inference => "inference",
        BuildPhase.Construction => "construction",
        BuildPhase.Publishing => "publishing",
        BuildPhase.Done => "done",
        _ => "unknown",
    };

    /// <summary>A build of <paramref name="kind"/> started waiting for the build slot (+1) or stopped waiting (-1).</summary>
    public void AddQueuedBuilds(string kind, int delta) => _buildsQueued.Add(delta, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>A build of <paramref name="kind"/> took the build slot (+1) or released it (-1).</summary>
    public void AddRunningBuilds(string kind, int delta) => _buildsRunning.Add(delta, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Records the time a build spent in one phase.</summary>
    public void RecordBuildPhase(string kind, string phase, TimeSpan duration) =>
        _buildPhaseDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("phase", phase));

    /// <summary>Records a build that released the build slot.</summary>
    public void RecordBuild(string kind, string outcome, TimeSpan duration) =>
        _buildDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts inputs a build ran through the model.</summary>
    public void AddBuildInputs(string kind, long inputs) => _buildInputs.Add(inputs, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>
    /// Sets where <c>deepeverest.index.size</c> reads the published indexes from at each scrape
    /// (the service sets its store's list when it maps its endpoints; until then no sizes).
    /// </summary>
    public void ObserveIndexSizes(Func<IEnumerable<IndexSize>> source) => _indexSizes = source;

    private IEnumerable<Measurement<long>> ObserveIndexSizes()
    {
        Func<IEnumerable<IndexSize>>? source = _indexSizes;
        if (source is null)
        {
            return [];
        }

        return source().Select(index => new Measurement<long>(
            index.Bytes,
            new KeyValuePair<string, object?>("model", index.Model),
            new KeyValuePair<string, object?>("dataset", index.Dataset),
            new KeyValuePair<string, object?>("layer", index.Layer))).ToList();
    }
}
