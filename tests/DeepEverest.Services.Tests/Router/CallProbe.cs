using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// A server-side view of streaming calls, as a gRPC interceptor on a shard's QueryService (the
/// router's TopKShard calls) or on the router (its clients' queries): how each call ended (its
/// token cancelled or not, the deadline it carried) and, when <see cref="HoldAfterFirstUpdate"/>
/// armed it, a TopKShard call kept open after its first update until <see cref="Release"/> or its
/// cancellation, so that a test acts while the shard's stream is open.
/// </summary>
internal sealed class CallProbe : Interceptor
{
    private Hold? _hold;

    /// <summary>How the streaming calls ended, in order.</summary>
    public ConcurrentQueue<Ended> Calls { get; } = new();

    /// <summary>
    /// Holds the shard's next TopKShard calls after their first update until <see cref="Release"/>
    /// (or until the call is cancelled); the task completes when the first of them has sent it.
    /// </summary>
    public Task HoldAfterFirstUpdate()
    {
        var hold = new Hold();
        _hold = hold;
        return hold.FirstSent.Task;
    }

    /// <summary>Lets held calls go on, and holds no later one.</summary>
    public void Release()
    {
        Hold? hold = Interlocked.Exchange(ref _hold, null);
        hold?.Released.TrySetResult();
    }

    /// <summary>Waits until <paramref name="count"/> calls have ended (or the test timeout passes).</summary>
    public async Task<Ended[]> EndedAsync(int count)
    {
        using var timeout = new CancellationTokenSource(Infrastructure.TaskTimeoutExtensions.Timeout);
        while (Calls.Count < count)
        {
            await Task.Delay(20, timeout.Token);
        }

        return [.. Calls];
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Hold? hold = _hold;
        IServerStreamWriter<TResponse> writer = hold is null ? responseStream : new HoldingWriter<TResponse>(responseStream, hold, context.CancellationToken);
        Exception? error = null;
        try
        {
            await continuation(requestStream, writer, context);
        }
        catch (Exception e)
        {
            error = e;
            throw;
        }
        finally
        {
            Calls.Enqueue(new Ended(context.Method, context.CancellationToken.IsCancellationRequested, context.Deadline, error));
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request,
        IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Exception? error = null;
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e)
        {
            error = e;
            throw;
        }
        finally
        {
            Calls.Enqueue(new Ended(context.Method, context.CancellationToken.IsCancellationRequested, context.Deadline, error));
        }
    }

    /// <summary>One call as it ended.</summary>
    /// <param name="Method">The gRPC method.</param>
    /// <param name="Cancelled">Whether its token was cancelled: the caller cancelled, went away or passed the deadline.</param>
    /// <param name="Deadline">The deadline it carried (DateTime.MaxValue: none).</param>
    /// <param name="Error">What it threw, if anything.</param>
    internal sealed record Ended(string Method, bool Cancelled, DateTime Deadline, Exception? Error);

    private sealed class Hold
    {
        public TaskCompletionSource FirstSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class HoldingWriter<T>(IServerStreamWriter<T> inner, Hold hold, CancellationToken cancellation) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(message, cancellationToken);
            hold.FirstSent.TrySetResult();
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellation, cancellationToken);
            await hold.Released.Task.WaitAsync(either.Token);
        }
    }
}
