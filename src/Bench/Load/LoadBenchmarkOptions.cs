using DeepEverest.Core.Query;

namespace DeepEverest.Bench.Load;

/// <summary>Settings of <c>deepeverest bench load</c> (<see cref="LoadBenchmark"/>).</summary>
public sealed record LoadBenchmarkOptions
{
    /// <summary>Longest phase accepted, in seconds: the benchmark is bounded.</summary>
    public const int MaxSeconds = 600;

    /// <summary>Most concurrent streams accepted.</summary>
    public const int MaxStreams = 1024;

    /// <summary>Concurrent query streams of each measured phase, in order, e.g. [1, 16].</summary>
    public IReadOnlyList<int> Streams { get; init; } = [1, 16];

    /// <summary>Seconds each phase starts new queries for (1-600). Default 30.</summary>
    public int Seconds { get; init; } = 30;

    /// <summary>Seconds of warm-up at the largest stream count before the phases (0-600; not measured). Default 10.</summary>
    public int WarmupSeconds { get; init; } = 10;

    /// <summary>Queries of the cancellation storm, all started at once, each cancelled after a random delay; 0 skips it. Default 4 x the largest stream count.</summary>
    public int? StormQueries { get; init; }

    /// <summary>Largest delay before a storm query is cancelled, in milliseconds. Default 250.</summary>
    public int StormMaxDelayMs { get; init; } = 250;

    /// <summary>Results per query. Default 10.</summary>
    public int K { get; init; } = 10;

    /// <summary>Largest neuron group (groups have 1 to this many neurons). Default 8.</summary>
    public int MaxGroup { get; init; } = 8;

    /// <summary>Strategy asked for (proto enum value name, e.g. Bounds). Default bounds.</summary>
    public Contracts.V1.Strategy Strategy { get; init; } = Contracts.V1.Strategy.Bounds;

    /// <summary>Model whose indexes are queried; null = every published index.</summary>
    public string? Model { get; init; }

    /// <summary>Dataset whose indexes are queried; null = every published index.</summary>
    public string? Dataset { get; init; }

    /// <summary>Layers queried; empty = every published index of the model and dataset.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>
    /// Whether queries bypass the activation cache: every phase then does the same kind of work
    /// (with the cache, later phases find more rows cached and look faster). Default false.
    /// </summary>
    public bool NoCache { get; init; }

    /// <summary>Seed of the random queries (each phase and stream derives its own). Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Deadline of one query, in seconds. Default 120.</summary>
    public int QueryTimeoutSeconds { get; init; } = 120;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (Streams.Count == 0 || Streams.Any(s => s is < 1 or > MaxStreams))
        {
            throw new ArgumentException($"--streams: give stream counts in 1..{MaxStreams}, e.g. 1,16.");
        }

        if (Seconds is < 1 or > MaxSeconds || WarmupSeconds is < 0 or > MaxSeconds)
        {
            throw new ArgumentException($"--seconds must be in 1..{MaxSeconds} and --warmup in 0..{MaxSeconds}.");
        }

        if (StormQueries is < 0 or > 100_000 || StormMaxDelayMs is < 0 or > 60_000)
        {
            throw new ArgumentException("--storm must be in 0..100000 queries and --storm-max-delay-ms in 0..60000.");
        }

        if (K is < 1 or > QueryLimits.MaxK || MaxGroup is < 1 or > 4096 || QueryTimeoutSeconds < 1)
        {
            throw new ArgumentException($"--k must be in 1..{QueryLimits.MaxK}, --max-group in 1..4096, and the query timeout positive.");
        }
    }
}
