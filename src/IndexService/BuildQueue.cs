using System.Diagnostics;
using System.Threading.Channels;
using DeepEverest.Contracts.V1;
using DeepEverest.Core.Indexing;
using DeepEverest.Hosting;
using Microsoft.Extensions.Options;
using CorePhase = DeepEverest.Core.Indexing.BuildPhase;

namespace DeepEverest.IndexService;

/// <summary>
/// Runs index builds and materializations one at a time, streaming their progress. Builds are
/// serialized because each one already uses every core (ONNX Runtime and the kernels) and holds a
/// large activation matrix; running two would only double the peak memory.
/// </summary>
internal sealed class BuildQueue(IOptions<IndexServiceOptions> options, IndexServiceMetrics metrics, ILogger<BuildQueue> logger) : IDisposable
{
    /// <summary>Metrics tag of an index build.</summary>
    public const string IndexKind = "index";

    /// <summary>Metrics tag of a materialization.</summary>
    public const string MaterializationKind = "materialization";

    private readonly SemaphoreSlim _slot = new(1, 1);
    private readonly int _messagesPerSecond = options.Value.ProgressMessagesPerSecond;
    private int _inQueue;

    /// <summary>
    /// Waits for the build slot (sending one QUEUED message when it is taken), then runs
    /// <paramref name="work"/> on a dedicated thread while forwarding its progress to
    /// <paramref name="sendAsync"/>. Cancelling <paramref name="cancellationToken"/>, or a failure
    /// of <paramref name="sendAsync"/> (the client went away), cancels the work; this method
    /// returns only after the work has stopped, so an aborted build has cleaned up before the
    /// next one starts.
    /// </summary>
    /// <param name="kind">Metrics tag: <see cref="IndexKind"/> or <see cref="MaterializationKind"/>.</param>
    /// <param name="what">Description for logs, e.g. "index build of m/d/l".</param>
    /// <param name="work">The CPU-bound build; reports to the progress and honours the token.</param>
    /// <param name="sendAsync">Writes one message to the response stream.</param>
    /// <param name="cancellationToken">The call's token (client cancellation or deadline).</param>
    /// <returns>The work's result and the milliseconds it ran (queue time excluded).</returns>
    public async Task<(T Result, long ElapsedMs)> RunAsync<T>(
        string kind,
        string what,
        Func<IProgress<BuildProgressInfo>, CancellationToken, T> work,
        Func<BuildProgress, Task> sendAsync,
        CancellationToken cancellationToken)
    {
        int ahead = Interlocked.Increment(ref _inQueue) - 1;
        try
        {
            if (!_slot.Wait(0, CancellationToken.None))
            {
                IndexServiceLog.BuildQueued(logger, what, ahead);
                long queued = Stopwatch.GetTimestamp();
                metrics.AddQueuedBuilds(kind, 1);
                try
                {
                    await sendAsync(new BuildProgress
                    {
                        Phase = Contracts.V1.BuildPhase.Queued,
                        EstimatedRemainingMs = -1,
                        Message = $"waiting for {Math.Max(1, ahead)} build(s) ahead",
                    }).ConfigureAwait(false);
                    await _slot.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    metrics.AddQueuedBuilds(kind, -1);
                    metrics.RecordBuildPhase(kind, IndexServiceMetrics.PhaseName(CorePhase.Queued), Stopwatch.GetElapsedTime(queued));
                }
            }
        }
        catch
        {
            Interlocked.Decrement(ref _inQueue);
            throw;
        }

        long started = Stopwatch.GetTimestamp();
        Exception? failure = null;
        metrics.AddRunningBuilds(kind, 1);
        try
        {
            return await RunInSlotAsync(kind, what, work, sendAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            metrics.AddRunningBuilds(kind, -1);
            metrics.RecordBuild(kind, DeepEverestMetrics.OutcomeOf(failure, deadlinePassed: false), Stopwatch.GetElapsedTime(started));
            Interlocked.Decrement(ref _inQueue);
            _slot.Release();
        }
    }

    private async Task<(T Result, long ElapsedMs)> RunInSlotAsync<T>(
        string kind,
        string what,
        Func<IProgress<BuildProgressInfo>, CancellationToken, T> work,
        Func<BuildProgress, Task> sendAsync,
        CancellationToken cancellationToken)
    {
        IndexServiceLog.BuildStarted(logger, what);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Channel<BuildProgressInfo> channel = ThrottledProgress.CreateChannel();
        var progress = new ThrottledProgress(channel.Writer, _messagesPerSecond);
        var recorder = new BuildRecorder(metrics, kind, progress);

        // LongRunning: a build occupies its thread for seconds to hours; on the thread pool it
        // would starve Kestrel's request handling of a worker for that long.
        Task<T> build = Task.Factory.StartNew(
            () =>
            {
                bool succeeded = false;
                try
                {
                    T result = work(recorder, stop.Token);
                    succeeded = true;
                    return result;
                }
                finally
                {
                    recorder.Complete(clock.Elapsed);
                    progress.Complete(succeeded);
                    LargeJobMemory.Release();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        try
        {
            // Not cancelled by the token: the channel closes when the build stops, and the build
            // stops soon after the token fires.
            await foreach (BuildProgressInfo info in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await sendAsync(ToMessage(info)).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The response stream broke (the client is gone): finishing the build would publish
            // work nobody asked to keep waiting for, and would hold the slot.
            await stop.CancelAsync().ConfigureAwait(false);
            await ((Task)build).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            IndexServiceLog.BuildCancelled(logger, what, clock.ElapsedMilliseconds);
            if (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
            {
                // A write to a cancelled call fails with InvalidOperationException; report the
                // cancellation itself, not a server error.
                throw new OperationCanceledException("The client cancelled the build.", e, cancellationToken);
            }

            throw;
        }

        try
        {
            T result = await build.ConfigureAwait(false);
            IndexServiceLog.BuildFinished(logger, what, clock.ElapsedMilliseconds);
            return (result, clock.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            IndexServiceLog.BuildCancelled(logger, what, clock.ElapsedMilliseconds);
            throw;
        }
    }

    /// <summary>The wire form of a progress report.</summary>
    public static BuildProgress ToMessage(BuildProgressInfo info) => new()
    {
        Phase = ToPhase(info.Phase),
        InputsDone = info.InputsDone,
        InputsTotal = info.InputsTotal,
        NeuronsDone = info.NeuronsDone,
        NeuronsTotal = info.NeuronsTotal,
        ElapsedMs = (long)info.Elapsed.TotalMilliseconds,
        EstimatedRemainingMs = info.EstimatedRemaining is { } left ? (long)left.TotalMilliseconds : -1,
        Message = info.Message,
    };

    private static Contracts.V1.BuildPhase ToPhase(CorePhase phase) => phase switch
    {
        CorePhase.Queued => Contracts.V1.BuildPhase.Queued,
        CorePhase.Inference => Contracts.V1.BuildPhase.Inference,
        CorePhase.Construction => Contracts.V1.BuildPhase.Construction,
        CorePhase.Publishing => Contracts.V1.BuildPhase.Publishing,
        CorePhase.Done => Contracts.V1.BuildPhase.Done,
        _ => Contracts.V1.BuildPhase.Unspecified,
    };

    /// <inheritdoc />
    public void Dispose() => _slot.Dispose();
}
