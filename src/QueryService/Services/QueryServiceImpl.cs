using System.Threading.Channels;
using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService.Services;

/// <summary>
/// deepeverest.v1.QueryService: runs each query on a worker thread (the work is CPU-bound) and
/// streams its updates. The call's cancellation (client cancel, deadline) and the server-side
/// time cap stop the worker before its next verification batch.
/// </summary>
internal sealed class QueryServiceImpl(QueryEngineHolder holder, QueryActivity activity, IOptions<QueryServiceOptions> options, ILogger<QueryServiceImpl> logger)
    : Contracts.V1.QueryService.QueryServiceBase
{
    public override Task TopKSimilar(TopKSimilarRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        StreamAsync("similar", QueryMapper.FromSimilar(request), request.Options?.MinUpdateIntervalMs ?? 0, responseStream, context);

    public override Task TopKHighest(TopKHighestRequest request, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context) =>
        StreamAsync("highest", QueryMapper.FromHighest(request), request.Options?.MinUpdateIntervalMs ?? 0, responseStream, context);

    public override Task<GetActivationsResponse> GetActivations(GetActivationsRequest request, ServerCallContext context)
    {
        LayerRef layer = QueryMapper.RequireLayer(request.Layer);
        QueryTarget target = QueryMapper.Target(request.Target) ?? throw DeepEverestException.Invalid("Give a target: input_id or tensor.");
        holder.Store.CatchUp();
        (float[] values, long[] shape) = holder.Engine.Activations(layer.Model, layer.Dataset, layer.Layer, target, context.CancellationToken);
        var response = new GetActivationsResponse();
        response.Shape.AddRange(shape);
        response.Values.AddRange(values);
        if (request.TopM > 0)
        {
            int[] top = NeuronGroups.Resolve(new GroupSpec.TopOfTarget(Math.Min(request.TopM, values.Length)), shape, values);
            response.TopNeurons.AddRange(top.Select(x => (long)x));
        }

        return Task.FromResult(response);
    }

    public override Task<GetInputResponse> GetInput(GetInputRequest request, ServerCallContext context)
    {
        DeepEverestStore store = holder.Store;
        store.CatchUp();
        var dataset = store.RequireDataset(request.Dataset);
        byte[] raw = store.ReadRawInput(dataset, request.InputId);
        var values = new float[DeepEverestStore.InputElements(dataset)];
        // The stored values, without preprocessing: what a person would look at.
        var plain = dataset.Clone();
        plain.Scale = 1;
        plain.Shift = 0;
        DeepEverestStore.Decode(plain, raw, values);
        var tensor = new Tensor();
        tensor.Shape.AddRange(dataset.InputShape);
        tensor.Values.AddRange(values);
        int[]? labels = store.GetLabels(dataset.Name);
        return Task.FromResult(new GetInputResponse { Tensor = tensor, Label = labels?[request.InputId] ?? -1 });
    }

    private async Task StreamAsync(string kind, TopKQuery query, int minUpdateIntervalMs, IServerStreamWriter<TopKUpdate> responseStream, ServerCallContext context)
    {
        if (minUpdateIntervalMs < 0)
        {
            throw DeepEverestException.Invalid($"min_update_interval_ms = {minUpdateIntervalMs} must be >= 0.");
        }

        QueryEngine engine = holder.Engine;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        // A call with a deadline is cancelled by it (context.CancellationToken); the server caps it at
        // MaxClientDeadlineSeconds. Without one, MaxQuerySeconds applies.
        bool clientDeadline = context.Deadline < DateTime.MaxValue;
        int cap = options.Value.CapSeconds(clientDeadline);
        string setting = clientDeadline ? "DeepEverest:MaxClientDeadlineSeconds, the longest a client deadline may extend a query" : "DeepEverest:MaxQuerySeconds; a call with a longer deadline may run up to DeepEverest:MaxClientDeadlineSeconds";
        if (cap > 0)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(cap));
        }

        // Bounded: a slow client holds the worker back instead of letting updates pile up.
        var channel = Channel.CreateBounded<TopKUpdateInfo>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        Task worker = Task.Factory.StartNew(
            () =>
            {
                using IDisposable running = activity.Enter();
                try
                {
                    foreach (TopKUpdateInfo update in engine.Execute(query, cts.Token))
                    {
                        channel.Writer.WriteAsync(update, cts.Token).AsTask().GetAwaiter().GetResult();
                    }

                    channel.Writer.Complete();
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                }
            },
            cts.Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        TopKUpdateInfo? last = null;
        long lastSentMs = long.MinValue;
        try
        {
            await foreach (TopKUpdateInfo update in channel.Reader.ReadAllAsync(cts.Token))
            {
                // The first and the last update always go out; in between, at most one per interval.
                bool first = last is null;
                last = update;
                if (first || update.Done || update.Stats.ElapsedMs - lastSentMs >= minUpdateIntervalMs)
                {
                    lastSentMs = update.Stats.ElapsedMs;
                    await responseStream.WriteAsync(QueryMapper.ToProto(update), cts.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested && cap > 0)
        {
            QueryServiceLog.QueryStopped(logger, kind, query.Layer, $"over the {cap} s cap");
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"The query ran past the server's {cap} s cap ({setting})."));
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

        if (last is not null)
        {
            QueryServiceLog.QueryDone(logger, kind, query.Layer, last.Stats.Strategy.ToString(), last.Stats.GroupSize, query.K, last.Stats.ElapsedMs, last.Stats.InputsInferred, last.Stats.CacheHits, last.Stats.InputsPruned);
        }
    }
}
