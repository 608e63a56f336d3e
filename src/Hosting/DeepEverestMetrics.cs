using System.Diagnostics.Metrics;
using DeepEverest.Core;
using Grpc.Core;

namespace DeepEverest.Hosting;

/// <summary>
/// What both services' metrics share: one <see cref="Meter"/> named <see cref="MeterName"/>,
/// exported by OpenTelemetry at <c>/metrics</c> on the HTTP/1.1 endpoint, the server streams open
/// (counted for every service by an interceptor), and the outcome tag of a call. Each service
/// records its own instruments on that meter (<c>QueryServiceMetrics</c>,
/// <c>IndexServiceMetrics</c>). Instrument names use the prefix <c>deepeverest.</c>; Prometheus
/// shows them with underscores, the unit appended (<c>_seconds</c>, <c>_bytes</c>) and counters
/// ending in <c>_total</c>, e.g. <c>deepeverest.query.duration</c> is scraped as
/// <c>deepeverest_query_duration_seconds_bucket/_sum/_count</c>.
/// </summary>
/// <remarks>
/// Tags: <c>outcome</c> = ok or the gRPC status in snake case (cancelled, deadline_exceeded,
/// invalid_argument, ...); <c>rpc</c> = the streaming method's name.
/// </remarks>
public sealed class DeepEverestMetrics
{
    /// <summary>Name of the meter (what an OpenTelemetry pipeline adds with <c>AddMeter</c>).</summary>
    public const string MeterName = "DeepEverest";

    /// <summary>Outcome tag of a call that succeeded.</summary>
    public const string Ok = "ok";

    private readonly UpDownCounter<long> _streamsOpen;

    /// <summary>Creates the shared instruments on a meter from <paramref name="meterFactory"/> (one per host).</summary>
    public DeepEverestMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(new MeterOptions(MeterName));
        _streamsOpen = meter.CreateUpDownCounter<long>("deepeverest.streams.open", "{stream}", "Server streams (queries, builds) open now, by rpc.");
    }

    /// <summary>
    /// The outcome tag of a call that ended with <paramref name="error"/> (null: <see cref="Ok"/>):
    /// the gRPC status the client sees, in snake case.
    /// </summary>
    /// <param name="error">What the call threw, or null.</param>
    /// <param name="deadlinePassed">Whether the call's deadline had passed (a cancellation is then deadline_exceeded).</param>
    public static string OutcomeOf(Exception? error, bool deadlinePassed) => error switch
    {
        null => Ok,
        RpcException rpc => StatusName(rpc.StatusCode),
        DeepEverestException de => StatusName(ErrorMappingInterceptor.CodeOf(de.Kind)),
        OperationCanceledException => deadlinePassed ? "deadline_exceeded" : "cancelled",
        _ => "internal",
    };

    /// <summary>A status code in snake case, e.g. <c>deadline_exceeded</c>.</summary>
    public static string StatusName(StatusCode code) => code switch
    {
        StatusCode.OK => Ok,
        StatusCode.Cancelled => "cancelled",
        StatusCode.InvalidArgument => "invalid_argument",
        StatusCode.DeadlineExceeded => "deadline_exceeded",
        StatusCode.NotFound => "not_found",
        StatusCode.AlreadyExists => "already_exists",
        StatusCode.PermissionDenied => "permission_denied",
        StatusCode.ResourceExhausted => "resource_exhausted",
        StatusCode.FailedPrecondition => "failed_precondition",
        StatusCode.Aborted => "aborted",
        StatusCode.OutOfRange => "out_of_range",
        StatusCode.Unimplemented => "unimplemented",
        StatusCode.Internal => "internal",
        StatusCode.Unavailable => "unavailable",
        StatusCode.DataLoss => "data_loss",
        StatusCode.Unauthenticated => "unauthenticated",
        _ => "unknown",
    };

    /// <summary>A server stream of <paramref name="rpc"/> opened (+1) or closed (-1).</summary>
    public void AddOpenStreams(string rpc, int delta) => _streamsOpen.Add(delta, new KeyValuePair<string, object?>("rpc", rpc));
}
