using DeepEverest.Contracts.V1;
using DeepEverest.Core.Query;
using DeepEverest.Hosting.Security;
using DeepEverest.Hosting.Streaming;
using DeepEverest.QueryService.Limits;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService.Services;

/// <summary>
/// deepeverest.v1.QueryService: maps each request to the engine's types, admits it under
/// <see cref="QueryLimitsOptions"/> (per service and per client) and streams the query's updates
/// with a <see cref="QueryStreamer"/>. Every rule of a query lives in the engine.
/// </summary>
internal sealed class QueryServiceImpl(
    QueryEngineHolder holder,
    QueryActivity activity,
    QueryAdmission admission,
    QueryServiceMetrics metrics,
    IOptions<QueryServiceOptions> options,
    ILogger<QueryServiceImpl> logger)
    : Contracts.V1.QueryService.QueryServiceBase
{
    public override Task TopKSimilar(TopKSimilarRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        StreamAsync(QueryType.Similar, request.Options, () => QueryMapper.FromSimilar(request), responseStream, context);

    public override Task TopKHighest(TopKHighestRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        StreamAsync(QueryType.Highest, request.Options, () => QueryMapper.FromHighest(request), responseStream, context);

    public override Task<GetActivationsResponse> GetActivations(GetActivationsRequest request, ServerCallContext context)
    {
        LayerActivations activations = holder.Engine.Activations(
            request.Layer?.Model ?? "", request.Layer?.Dataset ?? "", request.Layer?.Layer ?? "", QueryMapper.Target(request.Target), request.TopM, context.CancellationToken);
        return Task.FromResult(QueryMapper.ToProto(activations));
    }

    public override Task<GetInputResponse> GetInput(GetInputRequest request, ServerCallContext context) =>
        Task.FromResult(QueryMapper.ToProto(holder.Engine.Input(request.Dataset, request.InputId)));

    /// <summary>Admits, maps and streams one query, recording it in the metrics and the log.</summary>
    private async Task StreamAsync(QueryType type, QueryOptions? requested, Func<TopKQuery> map, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context)
    {
        var recorder = new QueryCallRecorder(metrics, logger, type, QueryMapper.Strategy(requested));
        var streamer = new QueryStreamer(options.Value.StreamLimits(requested?.HasMinUpdateIntervalMs == true ? requested.MinUpdateIntervalMs : null, context.Deadline < DateTime.MaxValue));
        TopKQuery? query = null;
        Exception? failure = null;
        try
        {
            string client = ClientIdentity.Of(context);
            using IDisposable admitted = admission.AdmitQuery(client);
            query = map();
            await streamer.StreamAsync(
                token => Run(query, client, token),
                async (update, first, token) =>
                {
                    await responseStream.WriteAsync(QueryMapper.ToProto(update), token);
                    recorder.Sent(update, first);
                },
                context.CancellationToken);
            recorder.Done(query, streamer.Last);
        }
        catch (Exception e)
        {
            failure = e;
            if (streamer.Capped)
            {
                recorder.Capped(query!.Layer, options.Value.CapSeconds(context.Deadline < DateTime.MaxValue));
            }

            throw;
        }
        finally
        {
            recorder.Record(streamer.Last, failure, context.Deadline <= DateTime.UtcNow);
        }
    }

    /// <summary>The query's updates, produced on the streamer's worker while it holds its admission.</summary>
    private IEnumerable<TopKUpdateInfo> Run(TopKQuery query, string client, CancellationToken cancellationToken)
    {
        using IDisposable running = activity.Enter();
        // The strategy is known once the query is planned (ReprocessAll also answers a layer
        // without an index): scans count against their own, lower limits.
        using QueryRun run = holder.Engine.Start(query, cancellationToken);
        using IDisposable? scan = run.Strategy is QueryStrategy.ReprocessAll or QueryStrategy.Nta ? admission.AdmitScan(client) : null;
        foreach (TopKUpdateInfo update in run.Updates)
        {
            yield return update;
        }
    }
}
