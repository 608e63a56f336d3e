using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DeepEverest.Contracts.V1;
using Grpc.Core;

namespace DeepEverest.Bench.Load;

/// <summary>
/// <c>deepeverest bench load</c>: drives running services as clients would. Warm-up, then for each
/// stream count N, N concurrent streams of random queries (<see cref="LoadQueries"/>) back to back
/// for a fixed time; then a cancellation storm (many queries at once, each cancelled after a
/// random delay) and a check that every query worker stopped. Reports completed queries, errors
/// by status, p50/p99 latency, throughput, and both services' resident memory before and after,
/// read from their <c>/metrics</c> (<c>dotnet_process_memory_working_set_bytes</c>).
/// </summary>
public sealed class LoadBenchmark(
    QueryService.QueryServiceClient queries,
    IndexService.IndexServiceClient index,
    HttpClient http,
    IReadOnlyDictionary<string, string> metricsUrls)
{
    /// <summary>Pause of a stream after a RESOURCE_EXHAUSTED answer (a limit): a client backs off.</summary>
    public static readonly TimeSpan LimitBackoff = TimeSpan.FromMilliseconds(50);

    private const string RssMetric = "dotnet_process_memory_working_set_bytes";
    private const string RunningMetric = "deepeverest_queries_running";
    private const string CpuMetric = "dotnet_process_cpu_time_seconds_total";

    /// <summary>Runs the benchmark; <paramref name="progress"/> gets one line per step.</summary>
    public async Task<LoadReport> RunAsync(LoadBenchmarkOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        options.Validate();
        string loadBefore = MachineInfo.LoadAverage();
        IReadOnlyList<IndexInfo> indexes = await IndexesAsync(options, cancellationToken).ConfigureAwait(false);
        progress.Report($"querying {indexes.Count} indexed layer(s): {string.Join(", ", indexes.Select(i => i.Layer.Layer))}");
        int widest = options.Streams.Max();
        if (options.WarmupSeconds > 0)
        {
            progress.Report($"warm-up: {widest} streams for {options.WarmupSeconds} s");
            await RunPhaseAsync(indexes, options, widest, options.WarmupSeconds, options.Seed + 1_000_000, cancellationToken).ConfigureAwait(false);
        }

        var memory = new List<MemorySample>();
        await SampleMemoryAsync("before load (after warm-up)", memory, cancellationToken).ConfigureAwait(false);
        var phases = new List<LoadPhase>();
        foreach ((int streams, int number) in options.Streams.Select((s, i) => (s, i)))
        {
            // Each phase its own queries: a phase that repeated an earlier one's would find their
            // activations in the cache.
            progress.Report($"{streams} stream(s) for {options.Seconds} s");
            LoadPhase phase = await RunPhaseAsync(indexes, options, streams, options.Seconds, options.Seed + ((number + 1) * 10_000), cancellationToken).ConfigureAwait(false);
            phases.Add(phase);
            progress.Report(string.Create(CultureInfo.InvariantCulture, $"  {phase.Completed} completed, {phase.QueriesPerSecond:F1} q/s, p50 {phase.P50Ms:F0} ms, p99 {phase.P99Ms:F0} ms, errors {phase.Errors.Sum(e => e.Value)}"));
        }

        await SampleMemoryAsync("after load", memory, cancellationToken).ConfigureAwait(false);
        LoadStorm? storm = null;
        int stormQueries = options.StormQueries ?? 4 * widest;
        if (stormQueries > 0)
        {
            progress.Report($"cancellation storm: {stormQueries} queries");
            storm = await StormAsync(indexes, options, stormQueries, cancellationToken).ConfigureAwait(false);
            await SampleMemoryAsync("after storm", memory, cancellationToken).ConfigureAwait(false);
        }

        return new LoadReport(MachineInfo.Describe(), loadBefore, MachineInfo.LoadAverage(), indexes.Select(i => $"{i.Layer.Model}/{i.Layer.Dataset}/{i.Layer.Layer}").ToList(), options, phases, storm, memory);
    }

    private async Task<IReadOnlyList<IndexInfo>> IndexesAsync(LoadBenchmarkOptions options, CancellationToken cancellationToken)
    {
        var request = new ListIndexesRequest { Model = options.Model ?? "", Dataset = options.Dataset ?? "" };
        ListIndexesResponse listed = await index.ListIndexesAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        var chosen = listed.Indexes.Where(i => options.Layers.Count == 0 || options.Layers.Contains(i.Layer.Layer)).ToList();
        return chosen.Count > 0
            ? chosen
            : throw new InvalidOperationException("no published index matches: build one first (`deepeverest index build`), or check --model/--dataset/--layer.");
    }

    private async Task<LoadPhase> RunPhaseAsync(IReadOnlyList<IndexInfo> indexes, LoadBenchmarkOptions options, int streams, int seconds, int seed, CancellationToken cancellationToken)
    {
        double? cpuBefore = await QueryServiceCpuAsync(cancellationToken).ConfigureAwait(false);
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        long stopStarting = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        Task[] workers = Enumerable.Range(0, streams).Select(stream => Task.Run(
            async () =>
            {
                var generator = new LoadQueries(indexes, options, unchecked((seed * 7919) + stream));
                while (Stopwatch.GetTimestamp() < stopStarting)
                {
                    long started = Stopwatch.GetTimestamp();
                    try
                    {
                        await RunQueryAsync(generator, options, cancellationToken).ConfigureAwait(false);
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                    catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                    {
                        errors.AddOrUpdate(e.StatusCode.ToString(), 1, (_, n) => n + 1);
                        if (e.StatusCode == StatusCode.ResourceExhausted)
                        {
                            await Task.Delay(LimitBackoff, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        double wall = clock.Elapsed.TotalSeconds;
        double? cpuAfter = await QueryServiceCpuAsync(cancellationToken).ConfigureAwait(false);
        double[] sorted = [.. latencies.Order()];
        return new LoadPhase(
            streams,
            sorted.Length,
            new Dictionary<string, int>(errors),
            wall,
            sorted.Length / wall,
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.99),
            cpuBefore is null || cpuAfter is null ? null : cpuAfter.Value - cpuBefore.Value);
    }

    private async Task<double?> QueryServiceCpuAsync(CancellationToken cancellationToken) =>
        metricsUrls.TryGetValue("query-service", out string? url) ? await ScrapeAsync(url, CpuMetric, cancellationToken).ConfigureAwait(false) : null;

    private async Task<LoadStorm> StormAsync(IReadOnlyList<IndexInfo> indexes, LoadBenchmarkOptions options, int count, CancellationToken cancellationToken)
    {
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        int completed = 0;
        var random = new Random(options.Seed + 2_000_000);
        int[] delays = Enumerable.Range(0, count).Select(_ => random.Next(options.StormMaxDelayMs + 1)).ToArray();
        Task[] calls = Enumerable.Range(0, count).Select(i => Task.Run(
            async () =>
            {
                var generator = new LoadQueries(indexes, options, options.Seed + 3_000_000 + i);
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cancel.CancelAfter(delays[i]);
                try
                {
                    await RunQueryAsync(generator, options, cancel.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref completed);
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    outcomes.AddOrUpdate(e.StatusCode.ToString(), 1, (_, n) => n + 1);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    outcomes.AddOrUpdate(nameof(StatusCode.Cancelled), 1, (_, n) => n + 1);
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(calls).ConfigureAwait(false);

        // Every worker should leave within one verification batch of its cancellation.
        var drain = Stopwatch.StartNew();
        double? running = null;
        if (metricsUrls.TryGetValue("query-service", out string? url))
        {
            while (true)
            {
                running = await ScrapeAsync(url, RunningMetric, cancellationToken).ConfigureAwait(false);
                if (running is null or 0 || drain.Elapsed > TimeSpan.FromSeconds(60))
                {
                    break;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        return new LoadStorm(count, completed, new Dictionary<string, int>(outcomes), running, drain.Elapsed.TotalSeconds);
    }

    private async Task RunQueryAsync(LoadQueries generator, LoadBenchmarkOptions options, CancellationToken cancellationToken)
    {
        (TopKSimilarRequest? similar, TopKHighestRequest? highest) = generator.Next();
        DateTime deadline = DateTime.UtcNow.AddSeconds(options.QueryTimeoutSeconds);
        using AsyncServerStreamingCall<TopKUpdate> call = similar is not null
            ? queries.TopKSimilar(similar, deadline: deadline, cancellationToken: cancellationToken)
            : queries.TopKHighest(highest!, deadline: deadline, cancellationToken: cancellationToken);
        TopKUpdate? last = null;
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            last = call.ResponseStream.Current;
        }

        if (last is not { Done: true })
        {
            throw new RpcException(new Status(StatusCode.DataLoss, "the stream ended without a final update"));
        }
    }

    private async Task SampleMemoryAsync(string point, List<MemorySample> samples, CancellationToken cancellationToken)
    {
        foreach ((string service, string url) in metricsUrls)
        {
            double? bytes = await ScrapeAsync(url, RssMetric, cancellationToken).ConfigureAwait(false);
            samples.Add(new MemorySample(point, service, bytes is null ? null : (long)bytes.Value));
        }
    }

    /// <summary>The sum of a metric's samples in a Prometheus scrape, or null when unreachable or absent.</summary>
    private async Task<double?> ScrapeAsync(string url, string metric, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await http.GetStringAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }

        double? sum = null;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(metric, StringComparison.Ordinal) && line.Length > metric.Length && line[metric.Length] is '{' or ' '
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                sum = (sum ?? 0) + value;
            }
        }

        return sum;
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
