using System.Diagnostics;

namespace DeepEverest.Core.Query;

/// <summary>
/// Where one query's time went, in milliseconds, for benchmarks: the final update of a query
/// carries it (<see cref="TopKUpdateInfo.Profile"/>). Phases are timed where they run, so the
/// parts add up to about the query's time (the rest is streaming and bookkeeping).
/// </summary>
public sealed class QueryProfile
{
    /// <summary>Resolving the layer, index, group and filter (target inference excluded).</summary>
    public double SetupMs { get; internal set; }

    /// <summary>Inferring the target (or reading it from the cache).</summary>
    public double TargetMs { get; internal set; }

    /// <summary>Reading the group's index rows and channel summaries.</summary>
    public double IndexReadMs { get; internal set; }

    /// <summary>Coarse and tight bounds, selection and ordering of the candidates.</summary>
    public double BoundsMs { get; internal set; }

    /// <summary>Reading candidate inputs from the store.</summary>
    public double InputReadMs { get; internal set; }

    /// <summary>Running the truncated model (ONNX Runtime, including its input and output copies).</summary>
    public double InferenceMs { get; internal set; }

    /// <summary>Everything else of verification: moving rows, the cache, gathering the group, exact costs, the top k.</summary>
    public double VerifyOtherMs { get; internal set; }

    /// <summary>Verification batches.</summary>
    public int Batches { get; internal set; }

    /// <summary>Starts timing a phase; add the elapsed milliseconds with <see cref="Elapsed"/>.</summary>
    internal static long Start() => Stopwatch.GetTimestamp();

    /// <summary>Milliseconds since <paramref name="start"/>.</summary>
    internal static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
