using System.Diagnostics;
using System.Threading.Channels;
using DeepEverest.Contracts.V1;
using DeepEverest.Router.Merge;
using DeepEverest.Router.Shards;
using Grpc.Core;

namespace DeepEverest.Router.Services;

/// <summary>Builds and materializations through the router: every shard at once, one progress stream.</summary>
internal sealed partial class RouterIndexService
{
    /// <summary>
    /// Builds the index on every shard at once (each from its own inputs) and streams one
    /// progress: sums over the shards (<see cref="ShardIndexMerge.Build"/>), DONE with the merged
    /// index once every shard is done. A shard that fails fails the stream naming it and cancels the
    /// other shards' builds (a cancelled build publishes nothing; shards that had already finished
    /// keep their new index).
    /// </summary>
    public override Task BuildIndex(BuildIndexRequest request, IServerStreamWriter<BuildProgress> responseStream, ServerCallContext context) =>
        FanOutAsync("building the index", (shard, call) => shard.Index.BuildIndex(request, call), responseStream, context);

    /// <summary>Materializes the layer on every shard, with one progress stream as <see cref="BuildIndex"/>.</summary>
    public override Task MaterializeLayer(MaterializeLayerRequest request, IServerStreamWriter<BuildProgress> responseStream, ServerCallContext context) =>
        FanOutAsync("materializing the layer", (shard, call) => shard.Index.MaterializeLayer(request, call), responseStream, context);

    private async Task FanOutAsync(
        string doing,
        Func<ShardClient, CallOptions, AsyncServerStreamingCall<BuildProgress>> start,
        IServerStreamWriter<BuildProgress> responseStream,
        ServerCallContext context)
    {
        IReadOnlyList<ShardClient> shards = topology.Shards;
        var events = Channel.CreateUnbounded<(int Shard, BuildProgress? Progress, RpcException? Failure)>(new UnboundedChannelOptions { SingleReader = true });
        using var all = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        DateTime? deadline = Deadline(context);
        var clock = Stopwatch.StartNew();
        Task[] pumps = [.. shards.Select((shard, s) => PumpAsync(s, shard, start, deadline, doing, events.Writer, all.Token))];
        try
        {
            var latest = new BuildProgress?[shards.Count];
            while (latest.Any(p => p?.Phase != BuildPhase.Done))
            {
                var e = await events.Reader.ReadAsync(all.Token);
                do
                {
                    if (e.Failure is not null)
                    {
                        throw e.Failure;
                    }

                    latest[e.Shard] = e.Progress;
                }
                while (events.Reader.TryRead(out e));

                await responseStream.WriteAsync(ShardIndexMerge.Build(latest, Names, clock.ElapsedMilliseconds), context.CancellationToken);
            }
        }
        finally
        {
            await all.CancelAsync();
            await Task.WhenAll(pumps);
        }
    }

    /// <summary>Reads one shard's progress into the events; never throws (a failure is an event).</summary>
    private static async Task PumpAsync(
        int s,
        ShardClient shard,
        Func<ShardClient, CallOptions, AsyncServerStreamingCall<BuildProgress>> start,
        DateTime? deadline,
        string doing,
        ChannelWriter<(int, BuildProgress?, RpcException?)> events,
        CancellationToken cancellation)
    {
        try
        {
            using AsyncServerStreamingCall<BuildProgress> call = start(shard, shard.Call(deadline, cancellation));
            await foreach (BuildProgress progress in call.ResponseStream.ReadAllAsync(cancellation))
            {
                events.TryWrite((s, progress, null));
                if (progress.Phase == BuildPhase.Done)
                {
                    return;
                }
            }

            events.TryWrite((s, null, new RpcException(new Status(StatusCode.Unavailable, $"{shard.Name} ended its progress stream before it finished {doing}."))));
        }
        catch (Exception) when (cancellation.IsCancellationRequested)
        {
            // Another shard failed or the client went away: the call's outcome is already decided.
        }
        catch (RpcException e)
        {
            events.TryWrite((s, null, ShardFailure.Of(shard, e, doing)));
        }
        catch (Exception e)
        {
            events.TryWrite((s, null, new RpcException(new Status(StatusCode.Unavailable, $"{shard.Name} failed while {doing}: {e.Message}"))));
        }
    }
}
