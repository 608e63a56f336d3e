using System.Globalization;
using System.Text;

namespace DeepEverest.Bench.Load;

/// <summary>What <c>deepeverest bench load</c> measured.</summary>
/// <param name="Machine">The client machine, in words.</param>
/// <param name="LoadAverageBefore">1/5/15-minute load averages when the run started.</param>
/// <param name="LoadAverageAfter">Load averages when it ended.</param>
/// <param name="Layers">The indexed layers queried (model/dataset/layer).</param>
/// <param name="Options">The settings of the run.</param>
/// <param name="Phases">One entry per measured phase, in order.</param>
/// <param name="Storm">The cancellation storm, or null when skipped.</param>
/// <param name="Memory">Resident memory of each service at each point (before, after load, after storm).</param>
public sealed record LoadReport(
    string Machine,
    string LoadAverageBefore,
    string LoadAverageAfter,
    IReadOnlyList<string> Layers,
    LoadBenchmarkOptions Options,
    IReadOnlyList<LoadPhase> Phases,
    LoadStorm? Storm,
    IReadOnlyList<MemorySample> Memory)
{
    /// <summary>Throughput of the last phase over that of the first (e.g. 16 streams over 1).</summary>
    public double? Scaling => Phases.Count > 1 && Phases[0].QueriesPerSecond > 0 ? Phases[^1].QueriesPerSecond / Phases[0].QueriesPerSecond : null;

    /// <summary>The report as markdown tables.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"Load benchmark: {Phases.Count} phase(s) of {Options.Seconds} s, strategy {Options.Strategy}, k {Options.K}, groups of 1-{Options.MaxGroup} neurons, {(Options.NoCache ? "activation cache bypassed" : "activation cache on")}, seed {Options.Seed}");
        md.AppendLine(c, $"Layers: {string.Join(", ", Layers)}");
        md.AppendLine(c, $"Client machine: {Machine}; load average {LoadAverageBefore} before, {LoadAverageAfter} after");
        md.AppendLine();
        md.AppendLine("| streams | completed | errors | q/s | p50 ms | p99 ms | vs first | service CPU ms/query | cores busy |");
        md.AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (LoadPhase phase in Phases)
        {
            string ratio = Phases[0].QueriesPerSecond > 0 ? (phase.QueriesPerSecond / Phases[0].QueriesPerSecond).ToString("F2", c) + "x" : "-";
            string cpu = phase.CpuMsPerQuery?.ToString("F0", c) ?? "n/a";
            string busy = phase.CoresBusy?.ToString("F2", c) ?? "n/a";
            md.AppendLine(c, $"| {phase.Streams} | {phase.Completed} | {Errors(phase.Errors)} | {phase.QueriesPerSecond:F1} | {phase.P50Ms:F0} | {phase.P99Ms:F0} | {ratio} | {cpu} | {busy} |");
        }

        if (Storm is { } storm)
        {
            md.AppendLine();
            md.AppendLine(c, $"Cancellation storm: {storm.Queries} queries at once, each cancelled after 0-{Options.StormMaxDelayMs} ms: {storm.Completed} finished first, outcomes {Errors(storm.Outcomes)}; queries running on the service back to {storm.RunningAfter?.ToString(c) ?? "?"} in {storm.DrainSeconds:F1} s.");
        }

        if (Memory.Count > 0)
        {
            md.AppendLine();
            string[] services = Memory.Select(m => m.Service).Distinct().ToArray();
            md.AppendLine("| resident memory (MiB) | " + string.Join(" | ", services) + " |");
            md.AppendLine("|---|" + string.Concat(services.Select(_ => "---:|")));
            foreach (string point in Memory.Select(m => m.Point).Distinct())
            {
                IEnumerable<string> cells = services.Select(s => Memory.FirstOrDefault(m => m.Point == point && m.Service == s)?.Bytes is long b ? (b / 1048576.0).ToString("F0", c) : "n/a");
                md.AppendLine(c, $"| {point} | {string.Join(" | ", cells)} |");
            }
        }

        return md.ToString();
    }

    private static string Errors(IReadOnlyDictionary<string, int> errors) =>
        errors.Count == 0 ? "none" : string.Join(", ", errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} {e.Value}"));
}

/// <summary>One measured phase: a number of concurrent streams, each running random queries back to back.</summary>
/// <param name="Streams">Concurrent streams.</param>
/// <param name="Completed">Queries answered to their exact last update.</param>
/// <param name="Errors">Queries that failed, by gRPC status.</param>
/// <param name="Seconds">Wall time from the first start to the last end.</param>
/// <param name="QueriesPerSecond">Completed over seconds.</param>
/// <param name="P50Ms">Median latency of completed queries (call start to last update).</param>
/// <param name="P99Ms">99th percentile latency.</param>
/// <param name="QueryServiceCpuSeconds">
/// CPU time the QueryService used during the phase (its <c>dotnet_process_cpu_time_seconds_total</c>),
/// or null when its metrics were unreachable: per query, and over the wall time (cores kept busy),
/// it says how much of the machine the service got, which matters on a shared machine.
/// </param>
public sealed record LoadPhase(int Streams, int Completed, IReadOnlyDictionary<string, int> Errors, double Seconds, double QueriesPerSecond, double P50Ms, double P99Ms, double? QueryServiceCpuSeconds)
{
    /// <summary>QueryService CPU milliseconds per completed query, or null.</summary>
    public double? CpuMsPerQuery => QueryServiceCpuSeconds is { } cpu && Completed > 0 ? cpu * 1000 / Completed : null;

    /// <summary>Cores the QueryService kept busy on average, or null.</summary>
    public double? CoresBusy => QueryServiceCpuSeconds is { } cpu && Seconds > 0 ? cpu / Seconds : null;
}

/// <summary>The cancellation storm.</summary>
/// <param name="Queries">Queries started at once.</param>
/// <param name="Completed">Queries that finished before their cancellation.</param>
/// <param name="Outcomes">Status of the others (Cancelled, or a limit).</param>
/// <param name="RunningAfter">The service's <c>deepeverest_queries_running</c> once drained (null: metrics unreachable).</param>
/// <param name="DrainSeconds">Seconds from the last call's end until no query worker ran.</param>
public sealed record LoadStorm(int Queries, int Completed, IReadOnlyDictionary<string, int> Outcomes, double? RunningAfter, double DrainSeconds);

/// <summary>Resident memory (working set) of one service at one point of the run, from its /metrics.</summary>
/// <param name="Point">When: before load, after load, after storm.</param>
/// <param name="Service">Which service.</param>
/// <param name="Bytes">Bytes, or null when its metrics were unreachable.</param>
public sealed record MemorySample(string Point, string Service, long? Bytes);
