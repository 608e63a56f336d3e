using DeepEverest.Contracts.V1;
using DeepEverest.Core;
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

    /// <summary>
    /// A router's call for one shard's part of a routed query: the first message is the request,
    /// later ones limits that the engine reads while it verifies (<see cref="ExternalLimits"/>).
    /// </summary>
    public override async Task TopKShard(IAsyncStreamReader<ShardQueryMessage> requestStream, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            throw DeepEverestException.Invalid("TopKShard: the first message must carry the request (similar or highest); the stream was empty.");
        }

        ShardQueryMessage first = requestStream.Current;
        var limits = new ExternalLimits();
        (QueryType type, QueryOptions? requested, Func<TopKQuery> map) = first.MessageCase switch
        {
            ShardQueryMessage.MessageOneofCase.Similar => (QueryType.Similar, first.Similar.Options, () => QueryMapper.FromSimilar(first.Similar) with { Limits = limits }),
            ShardQueryMessage.MessageOneofCase.Highest => (QueryType.Highest, first.Highest.Options, (Func<TopKQuery>)(() => QueryMapper.FromHighest(first.Highest) with { Limits = limits })),
            _ => throw DeepEverestException.Invalid("TopKShard: the first message must carry the request (similar or highest), not limits."),
        };
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        Task limitsRead = ReadLimitsAsync(requestStream, limits, type, reading.Token);
        try
        {
            await StreamAsync(type, requested, map, responseStream, context);
        }
        finally
        {
            await reading.CancelAsync();
            await limitsRead;
        }
    }

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

    /// <summary>Takes the router's limits as they come, until the router closes its side or the call ends.</summary>
    private static async Task ReadLimitsAsync(IAsyncStreamReader<ShardQueryMessage> requestStream, ExternalLimits limits, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                if (requestStream.Current.Limits is { } l)
                {
                    QueryMapper.Improve(limits, l, type);
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The query is over: later limits are of no use.
        }
        catch (Exception e) when (e is IOException or RpcException)
        {
            // The router went away; the call's own cancellation ends the query.
        }
        finally
        {
            limits.Close();
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
