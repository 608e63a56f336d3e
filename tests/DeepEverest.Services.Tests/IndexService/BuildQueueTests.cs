using DeepEverest.Contracts.V1;
using DeepEverest.Core.Indexing;
using DeepEverest.IndexService;
using DeepEverest.Services.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using CorePhase = DeepEverest.Core.Indexing.BuildPhase;
using WirePhase = DeepEverest.Contracts.V1.BuildPhase;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>The build queue on its own: serialization, throttling, and stopping a build whose client left.</summary>
public sealed class BuildQueueTests : IDisposable
{
    private readonly BuildQueue _queue = new(Options.Create(new IndexServiceOptions { ProgressMessagesPerSecond = 10 }), TestMetrics.ForIndexService(), NullLogger<BuildQueue>.Instance);

    [Fact]
    public async Task RunAsync_ManyReports_ThrottledButKeepsPhaseChangesAndLastOfEachPhase()
    {
        var sent = new List<BuildProgress>();

        (int result, _) = await _queue.RunAsync(
            BuildQueue.IndexKind,
            "test",
            (progress, _) =>
            {
                for (int i = 1; i <= 1000; i++)
                {
                    progress.Report(Info(CorePhase.Inference, inputsDone: i));
                }

                for (int j = 1; j <= 1000; j++)
                {
                    progress.Report(Info(CorePhase.Construction, inputsDone: 1000, neuronsDone: j));
                }

                progress.Report(Info(CorePhase.Done, inputsDone: 1000, neuronsDone: 1000));
                return 42;
            },
            message => Record(sent, message),
            CancellationToken.None).DefaultTimeout();

        Assert.Equal(42, result);
        Assert.InRange(sent.Count, 4, 20);
        Assert.Equal([WirePhase.Inference, WirePhase.Construction], sent.Select(m => m.Phase).Distinct());
        Assert.Equal(1000, sent.Last(m => m.Phase == WirePhase.Inference).InputsDone);
        Assert.Equal(1000, sent[^1].NeuronsDone);
    }

    [Fact]
    public async Task RunAsync_SlotTaken_SendsQueuedThenRunsAfterTheFirst()
    {
        var release = new TaskCompletionSource();
        Task first = _queue.RunAsync(BuildQueue.IndexKind, "first", (_, _) => release.Task.Wait(TaskTimeoutExtensions.Timeout), _ => Task.CompletedTask, CancellationToken.None);
        var sent = new List<BuildProgress>();
        bool ran = false;

        Task second = _queue.RunAsync(BuildQueue.IndexKind, "second", (_, _) => ran = true, message => Record(sent, message), CancellationToken.None);
        await WaitUntilAsync(() => sent.Count > 0);

        Assert.Equal(WirePhase.Queued, sent[0].Phase);
        Assert.False(ran);
        release.SetResult();
        await Task.WhenAll(first, second).DefaultTimeout();
        Assert.True(ran);
    }

    [Fact]
    public async Task RunAsync_SendFailsAfterClientCancelled_StopsTheWorkAndReportsCancellation()
    {
        using var client = new CancellationTokenSource();
        bool workSawCancellation = false;

        Task run = _queue.RunAsync<int>(
            BuildQueue.IndexKind,
            "test",
            (progress, token) =>
            {
                while (true)
                {
                    progress.Report(Info(CorePhase.Inference, inputsDone: 1));
                    if (token.WaitHandle.WaitOne(10))
                    {
                        workSawCancellation = true;
                        token.ThrowIfCancellationRequested();
                    }
                }
            },
            _ =>
            {
                // What a gRPC response stream does once the client has reset the call.
                client.Cancel();
                throw new InvalidOperationException("Can't write the message because the request is complete.");
            },
            client.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run).DefaultTimeout();
        Assert.True(workSawCancellation);

        // The slot is free again.
        (int next, _) = await _queue.RunAsync(BuildQueue.IndexKind, "next", (_, _) => 1, _ => Task.CompletedTask, CancellationToken.None).DefaultTimeout();
        Assert.Equal(1, next);
    }

    public void Dispose() => _queue.Dispose();

    private static BuildProgressInfo Info(CorePhase phase, long inputsDone = 0, long neuronsDone = 0) =>
        new(phase, inputsDone, 1000, neuronsDone, 1000, TimeSpan.Zero, null, "");

    private static Task Record(List<BuildProgress> sent, BuildProgress message)
    {
        lock (sent)
        {
            sent.Add(message);
        }

        return Task.CompletedTask;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TaskTimeoutExtensions.Timeout);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
