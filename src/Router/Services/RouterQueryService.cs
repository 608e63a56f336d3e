using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Router.Shards;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.Router.Services;

/// <summary>
/// deepeverest.v1.QueryService over input-range shards: each query goes to every shard it touches
/// (<see cref="ShardRequests"/>) and their streams are merged into one (<see cref="MergedStream"/>).
/// GetActivations and GetInput go to the shard that holds the input (any shard for a raw tensor).
/// </summary>
internal sealed class RouterQueryService(ShardTopology topology, IOptions<RouterOptions> options, ILogger<RouterQueryService> logger)
    : Contracts.V1.QueryService.QueryServiceBase
{
    public override Task TopKSimilar(TopKSimilarRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        StreamAsync("similar", request.Layer, request.K, request.Options, (dataset, call) => ShardRequests.SimilarAsync(request, dataset, call), responseStream, context);

    public override Task TopKHighest(TopKHighestRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        StreamAsync("highest", request.Layer, request.K, request.Options, (dataset, call) => ShardRequests.HighestAsync(request, dataset, call), responseStream, context);

    public override async Task<GetActivationsResponse> GetActivations(GetActivationsRequest request, ServerCallContext context)
    {
        DatasetShards dataset = await ResolveAsync(request.Layer?.Dataset ?? "", request.Layer?.Model ?? "", context.CancellationToken);
        GetActivationsRequest routed = request.Clone();
        routed.Layer ??= new LayerRef();
        routed.Layer.Dataset = dataset.Name;
        ShardSlice slice = request.Target?.SourceCase == Target.SourceOneofCase.InputId ? dataset.Owner(request.Target.InputId) ?? dataset.Slices[0] : dataset.Slices[0];
        return await ShardRequests.CallAsync(slice, "computing activations", () =>
            slice.Shard.Query.GetActivationsAsync(routed, slice.Shard.Call(Deadline(context), context.CancellationToken)).ResponseAsync);
    }

    public override async Task<GetInputResponse> GetInput(GetInputRequest request, ServerCallContext context)
    {
        DatasetShards dataset = await ResolveAsync(request.Dataset, "", context.CancellationToken);
        ShardSlice slice = dataset.Owner(request.InputId) ?? dataset.Slices[0];
        return await ShardRequests.CallAsync(slice, "reading the input", () =>
            slice.Shard.Query.GetInputAsync(new GetInputRequest { Dataset = dataset.Name, InputId = request.InputId }, slice.Shard.Call(Deadline(context), context.CancellationToken)).ResponseAsync);
    }

    private async Task StreamAsync(
        string kind,
        LayerRef? layer,
        int k,
        QueryOptions? requested,
        Func<DatasetShards, CallOptions, Task<ShardCall[]>> plan,
        IServerStreamWriter<TopKUpdate> responseStream,
        ServerCallContext context)
    {
        int interval = requested?.HasMinUpdateIntervalMs == true ? requested.MinUpdateIntervalMs : options.Value.DefaultUpdateIntervalMs;
        if (interval < 0)
        {
            throw DeepEverestException.Invalid($"options.min_update_interval_ms must be >= 0, 0 meaning every update (got {interval}).");
        }

        DateTime? deadline = Deadline(context);
        try
        {
            DatasetShards dataset = await ResolveAsync(layer?.Dataset ?? "", layer?.Model ?? "", context.CancellationToken);
            ShardCall[] calls = await plan(dataset, dataset.Slices[0].Shard.Call(deadline, context.CancellationToken));
            var stream = new MergedStream(calls, kind == "highest", k, interval, deadline, requested?.AllowPartial ?? false);
            await stream.RunAsync(update => responseStream.WriteAsync(update, context.CancellationToken), context.CancellationToken);
            if (stream.Last is { Stats: { } stats })
            {
                if (stats.ShardsMissing.Count > 0)
                {
                    topology.Invalidate();
                    RouterLog.QueryPartial(logger, kind, layer?.Layer ?? "", string.Join("; ", stats.ShardsMissing));
                }

                RouterLog.QueryDone(logger, kind, layer?.Layer ?? "", stats.ElapsedMs, calls.Length, stream.Stopped, stats.InputsInferred);
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.FailedPrecondition or StatusCode.DeadlineExceeded)
        {
            // A shard failed, restarted or changed: read what the shards hold again next time.
            topology.Invalidate();
            throw;
        }
    }

    private async Task<DatasetShards> ResolveAsync(string dataset, string model, CancellationToken cancellationToken)
    {
        try
        {
            return await topology.ResolveAsync(dataset, cancellationToken, model);
        }
        catch (DeepEverestException e) when (e.Kind == ErrorKind.FailedPrecondition)
        {
            topology.Invalidate();
            throw;
        }
    }

    /// <summary>The client's deadline, else the router's cap (<see cref="RouterOptions.MaxQuerySeconds"/>): it reaches every shard.</summary>
    private DateTime? Deadline(ServerCallContext context) =>
        context.Deadline < DateTime.MaxValue ? context.Deadline
        : options.Value.MaxQuerySeconds > 0 ? DateTime.UtcNow.AddSeconds(options.Value.MaxQuerySeconds)
        : null;
}
