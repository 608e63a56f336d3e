using System.Diagnostics;
using System.Threading.Channels;
using DeepEverest.Contracts.V1;
using DeepEverest.Router.Merge;
using DeepEverest.Router.Shards;
using Grpc.Core;

namespace DeepEverest.Router.Services;

/// <summary>
/// Runs one routed query: streams every shard's updates at once, feeds them to a
/// <see cref="ShardMerge"/>, stops the shards the merge finds can no longer contribute (their calls
/// are cancelled: the global pushdown), and sends the merged updates, coalesced to the request's
/// interval (the first and the done update always go out). The first shard failure fails the query
/// with the shard named (<see cref="ShardFailure"/>), and every other shard's call is cancelled; so
/// are they all when the client cancels or its deadline passes. A done update is sent only when
/// every shard is done or stopped. Each shard runs as a TopKShard call: after every merged step the
/// router sends the live shards the merge's <see cref="ShardMerge.Limits"/> when they changed, so
/// that a shard sizes its batches for the whole answer and stops once nothing it has not verified
/// can enter it (docs/scale-out.md, "Limits from the router"). With <paramref name="allowPartial"/>
/// (QueryOptions.allow_partial) a shard that fails as UNAVAILABLE leaves the answer instead of
/// failing it (<see cref="ShardMerge.Fail"/>): the stream then ends without a done update.
/// </summary>
internal sealed class MergedStream(IReadOnlyList<ShardCall> calls, bool highest, int k, int intervalMs, DateTime? deadline, bool allowPartial = false)
{
    /// <summary>Shards stopped early by the pushdown.</summary>
    public int Stopped { get; private set; }

    /// <summary>The last update sent.</summary>
    public TopKUpdate? Last { get; private set; }

    /// <summary>Runs the query, sending merged updates with <paramref name="send"/>.</summary>
    public async Task RunAsync(Func<TopKUpdate, Task> send, CancellationToken callCancellation)
    {
        var merge = new ShardMerge(highest, k, [.. calls.Select(c => c.Slice.Start)]);
        var events = Channel.CreateUnbounded<ShardEvent>(new UnboundedChannelOptions { SingleReader = true });
        using var all = CancellationTokenSource.CreateLinkedTokenSource(callCancellation);
        CancellationTokenSource[] stops = [.. calls.Select(_ => CancellationTokenSource.CreateLinkedTokenSource(all.Token))];
        // Per shard, the newest limits not yet written (an older unsent one is superseded).
        Channel<ShardLimits>[] limits = [.. calls.Select(_ => Channel.CreateBounded<ShardLimits>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }))];
        ShardLimits? sent = null;
        var clock = Stopwatch.StartNew();
        var pumps = new List<Task>();
        try
        {
            for (int s = 0; s < calls.Count; s++)
            {
                if (calls[s].LeftOut)
                {
                    merge.LeaveOut(s);
                }
                else
                {
                    pumps.Add(PumpAsync(s, events.Writer, limits[s].Reader, stops[s].Token));
                }
            }

            long lastSentMs = long.MinValue;
            TopKUpdate? previous = null;
            while (true)
            {
                if (!merge.Finished)
                {
                    Apply(merge, await events.Reader.ReadAsync(all.Token), stops);

                    // Everything that arrived meanwhile goes into the same merged update.
                    while (events.Reader.TryRead(out ShardEvent? more))
                    {
                        Apply(merge, more, stops);
                    }

                    foreach (int s in merge.Prunable().ToList())
                    {
                        merge.Stop(s);
                        await stops[s].CancelAsync();
                        Stopped++;
                    }

                    ShardLimits now = merge.Limits();
                    // The first limits go out once every live shard has reported, even when unknown:
                    // a shard waits for them before its first batch.
                    if (!now.Equals(sent) && (merge.AllReported || !double.IsNaN(now.KthScore)))
                    {
                        sent = now;
                        for (int s = 0; s < calls.Count; s++)
                        {
                            limits[s].Writer.TryWrite(now);
                        }
                    }
                }

                TopKUpdate update = merge.Current(clock.ElapsedMilliseconds, first: Last is null);
                bool last = merge.Finished;
                bool changed = previous is null || last || !update.Hits.Equals(previous.Hits) || !update.Threshold.Equals(previous.Threshold);
                previous = update;
                if (changed && (Last is null || last || update.Stats.ElapsedMs - lastSentMs >= intervalMs))
                {
                    lastSentMs = update.Stats.ElapsedMs;
                    Last = update;
                    await send(update);
                }

                if (last)
                {
                    return;
                }
            }
        }
        finally
        {
            await all.CancelAsync();
            await Task.WhenAll(pumps);
            foreach (CancellationTokenSource stop in stops)
            {
                stop.Dispose();
            }
        }
    }

    private void Apply(ShardMerge merge, ShardEvent e, CancellationTokenSource[] stops)
    {
        if (e.Failure is null)
        {
            merge.Apply(e.Shard, e.Update!);
            return;
        }

        // Only a shard that is gone may be left out of a partial answer: a refused request (or a
        // deadline, which is every shard's) would fail on the others too.
        if (!allowPartial || e.Failure.StatusCode != StatusCode.Unavailable || !merge.Fail(e.Shard, e.Failure.Status.Detail))
        {
            throw e.Failure;
        }

        stops[e.Shard].Cancel();
    }

    /// <summary>Reads one shard's stream into the events; never throws (a failure is an event).</summary>
    private async Task PumpAsync(int s, ChannelWriter<ShardEvent> events, ChannelReader<ShardLimits> limits, CancellationToken stop)
    {
        ShardClient shard = calls[s].Slice.Shard;
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task writer = Task.CompletedTask;
        try
        {
            using AsyncDuplexStreamingCall<ShardQueryMessage, TopKUpdate> call = calls[s].Start(shard.Call(deadline, stop));
            await call.RequestStream.WriteAsync(calls[s].First, stop);
            writer = WriteLimitsAsync(call.RequestStream, limits, writing.Token);
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync(stop))
            {
                events.TryWrite(new ShardEvent(s, update, null));
                if (update.Done)
                {
                    return;
                }
            }

            events.TryWrite(new ShardEvent(s, null, deadline is { } d && DateTime.UtcNow >= d ? ShardFailure.PastDeadline(shard) : ShardFailure.Truncated(shard)));
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Stopped by the pushdown, or the query is over: nothing more is wanted from it.
        }
        catch (Exception) when (deadline is { } d && DateTime.UtcNow >= d)
        {
            events.TryWrite(new ShardEvent(s, null, ShardFailure.PastDeadline(shard)));
        }
        catch (RpcException e)
        {
            events.TryWrite(new ShardEvent(s, null, ShardFailure.Of(shard, e, "answering the query")));
        }
        catch (Exception e)
        {
            events.TryWrite(new ShardEvent(s, null, new RpcException(new Status(StatusCode.Unavailable, $"{shard.Name} failed while answering the query: {e.Message}"))));
        }
        finally
        {
            await writing.CancelAsync();
            await writer;
        }
    }

    /// <summary>Writes the limits to one shard as they come; never throws (limits only save work).</summary>
    private static async Task WriteLimitsAsync(IClientStreamWriter<ShardQueryMessage> requests, ChannelReader<ShardLimits> limits, CancellationToken stop)
    {
        try
        {
            await foreach (ShardLimits l in limits.ReadAllAsync(stop))
            {
                await requests.WriteAsync(new ShardQueryMessage { Limits = l }, stop);
            }
        }
        catch (Exception)
        {
            // The shard is done, stopped or gone: its stream tells the query what happened.
        }
    }

    private sealed record ShardEvent(int Shard, TopKUpdate? Update, RpcException? Failure);
}
