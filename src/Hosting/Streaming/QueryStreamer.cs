using System.Threading.Channels;
using DeepEverest.Core;
using DeepEverest.Core.Query;
using Grpc.Core;

namespace DeepEverest.Hosting.Streaming;

/// <summary>
/// Streams the updates of one query to a client: the query runs on its own worker thread (the work
/// is CPU-bound and synchronous), hands its updates over a small bounded channel (a slow client
/// holds the worker back instead of letting updates pile up), and the caller's side coalesces them
/// and sends them. The call's cancellation (client cancel, deadline) and the server's time cap stop
/// the worker before its next verification batch; the streamer returns only once the worker has
/// left. One instance per call; any service that streams top-k updates (the QueryService, a router
/// over shards) uses it.
/// </summary>
public sealed class QueryStreamer(QueryStreamLimits limits)
{
    /// <summary>The last update the query produced (sent or coalesced away), or null before the first.</summary>
    public TopKUpdateInfo? Last { get; private set; }

    /// <summary>True when the server's cap (<see cref="QueryStreamLimits.CapSeconds"/>) stopped the query.</summary>
    public bool Capped { get; private set; }

    /// <summary>
    /// Runs <paramref name="produce"/> on a worker thread and sends its updates with
    /// <paramref name="send"/> (its second argument is true for the first update sent). Failures of
    /// the query (e.g. <see cref="DeepEverestException"/>) reach the caller as thrown; the cap throws
    /// DEADLINE_EXCEEDED.
    /// </summary>
    /// <param name="produce">
    /// The query's updates, enumerated on the worker with the streamer's token; whatever the
    /// enumeration holds (a store snapshot, admission slots) is released when it ends.
    /// </param>
    /// <param name="send">Sends one update to the client.</param>
    /// <param name="callCancellation">The call's token (client cancel and deadline).</param>
    public async Task StreamAsync(
        Func<CancellationToken, IEnumerable<TopKUpdateInfo>> produce,
        Func<TopKUpdateInfo, bool, CancellationToken, Task> send,
        CancellationToken callCancellation)
    {
        if (limits.MinUpdateIntervalMs < 0)
        {
            throw DeepEverestException.Invalid($"options.min_update_interval_ms must be >= 0, 0 meaning every update (got {limits.MinUpdateIntervalMs}).");
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(callCancellation);
        if (limits.CapSeconds > 0)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(limits.CapSeconds));
        }

        var channel = Channel.CreateBounded<TopKUpdateInfo>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        Task worker = Task.Factory.StartNew(() => Produce(produce, channel.Writer, cts.Token), cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long lastSentMs = long.MinValue;
        try
        {
            await foreach (TopKUpdateInfo update in channel.Reader.ReadAllAsync(cts.Token))
            {
                // The first and the last update always go out; in between, at most one per interval.
                bool first = Last is null;
                Last = update;
                if (first || update.Done || update.Stats.ElapsedMs - lastSentMs >= limits.MinUpdateIntervalMs)
                {
                    lastSentMs = update.Stats.ElapsedMs;
                    await send(update, first, cts.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!callCancellation.IsCancellationRequested && limits.CapSeconds > 0)
        {
            Capped = true;
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"The query ran past the server's {limits.CapSeconds} s cap ({limits.CapSetting})."));
        }
        finally
        {
            await cts.CancelAsync();
            try
            {
                await worker;
            }
            catch (OperationCanceledException)
            {
                // The worker stops at its next batch; nothing to report.
            }
        }
    }

    private static void Produce(Func<CancellationToken, IEnumerable<TopKUpdateInfo>> produce, ChannelWriter<TopKUpdateInfo> writer, CancellationToken cancellationToken)
    {
        try
        {
            foreach (TopKUpdateInfo update in produce(cancellationToken))
            {
                writer.WriteAsync(update, cancellationToken).AsTask().GetAwaiter().GetResult();
            }

            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
        }
    }
}
