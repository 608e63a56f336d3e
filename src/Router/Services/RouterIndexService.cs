using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Router.Merge;
using DeepEverest.Router.Shards;
using Grpc.Core;

namespace DeepEverest.Router.Services;

/// <summary>
/// deepeverest.v1.IndexService over input-range shards, describing the sharded dataset as one
/// (docs/scale-out.md, "Index calls through the router"): lists and descriptions are the shards'
/// merged (<see cref="ShardIndexMerge"/>: sizes summed, per-shard index state), builds and deletes
/// and model registrations go to every shard (builds with one aggregated progress stream), and
/// imports are refused: each shard imports its own range. The router's own roles apply to every
/// call (AccessPolicy, by method), and it calls the shards with its own key.
/// </summary>
internal sealed partial class RouterIndexService(ShardTopology topology) : IndexService.IndexServiceBase
{
    public override Task<DatasetInfo> ImportDataset(ImportDatasetRequest request, ServerCallContext context) => throw ImportRefused();

    public override Task ImportDatasetWithProgress(ImportDatasetRequest request, IServerStreamWriter<ImportProgress> responseStream, ServerCallContext context) => throw ImportRefused();

    public override async Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context)
    {
        ListDatasetsResponse[] lists = await AllAsync("listing its datasets", (shard, call) => shard.Index.ListDatasetsAsync(request, call).ResponseAsync, context);
        var response = new ListDatasetsResponse();
        response.Datasets.AddRange(ShardIndexMerge.Datasets(lists));
        return response;
    }

    /// <summary>Every shard's models, each name once (the first shard's that has it): the router checks per query that they are the same file.</summary>
    public override async Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        ListModelsResponse[] lists = await AllAsync("listing its models", (shard, call) => shard.Index.ListModelsAsync(request, call).ResponseAsync, context);
        var response = new ListModelsResponse();
        response.Models.AddRange(lists.SelectMany(l => l.Models).DistinctBy(m => m.Name));
        return response;
    }

    /// <summary>The model's layers, from the first shard (every shard holds the same model file).</summary>
    public override Task<ListLayersResponse> ListLayers(ListLayersRequest request, ServerCallContext context)
    {
        ShardClient shard = topology.Shards[0];
        return OneAsync(shard, "listing the model's layers", () => shard.Index.ListLayersAsync(request, shard.Call(Deadline(context), context.CancellationToken)).ResponseAsync);
    }

    public override async Task<ListIndexesResponse> ListIndexes(ListIndexesRequest request, ServerCallContext context)
    {
        ListIndexesResponse[] lists = await AllAsync("listing its indexes", (shard, call) => shard.Index.ListIndexesAsync(request, call).ResponseAsync, context);
        var response = new ListIndexesResponse();
        response.Indexes.AddRange(ShardIndexMerge.Indexes(lists, Names));
        return response;
    }

    /// <summary>The index as one, listing the shards that lack it (built = false); NOT_FOUND when none has it.</summary>
    public override async Task<IndexInfo> DescribeIndex(DescribeIndexRequest request, ServerCallContext context)
    {
        (IndexInfo? Info, RpcException? Missing)[] infos = await AllAsync(
            "describing the index", (shard, call) => UnlessNotFoundAsync(shard.Index.DescribeIndexAsync(request, call).ResponseAsync), context);
        return ShardIndexMerge.Index([.. infos.Select(i => i.Info)], Names) ?? throw infos[0].Missing!;
    }

    /// <summary>Deletes the index on every shard that has it; NOT_FOUND when none has it.</summary>
    public override async Task<DeleteIndexResponse> DeleteIndex(DeleteIndexRequest request, ServerCallContext context)
    {
        (DeleteIndexResponse? Deleted, RpcException? Missing)[] deleted = await AllAsync(
            "deleting the index", (shard, call) => UnlessNotFoundAsync(shard.Index.DeleteIndexAsync(request, call).ResponseAsync), context);
        if (deleted.All(d => d.Deleted is null))
        {
            throw deleted[0].Missing!;
        }

        return new DeleteIndexResponse { BytesFreed = deleted.Sum(d => d.Deleted?.BytesFreed ?? 0) };
    }

    /// <summary>Registers the model on every shard from the same path under each shard's data root.</summary>
    public override async Task<ModelInfo> AddModel(AddModelRequest request, ServerCallContext context) =>
        Same(await AllAsync("registering the model", (shard, call) => shard.Index.AddModelAsync(request, call).ResponseAsync, context));

    /// <summary>
    /// Streams the upload to every shard at once, chunk by chunk (nothing is held beyond one chunk):
    /// each shard registers the same file. A shard that fails fails the call naming it; the shards
    /// that succeeded keep the model (upload again with replace).
    /// </summary>
    public override async Task<ModelInfo> UploadModel(IAsyncStreamReader<UploadModelChunk> requestStream, ServerCallContext context)
    {
        IReadOnlyList<ShardClient> shards = topology.Shards;
        using var all = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        AsyncClientStreamingCall<UploadModelChunk, ModelInfo>[] uploads = [.. shards.Select(s => s.Index.UploadModel(s.Call(Deadline(context), all.Token)))];
        try
        {
            await foreach (UploadModelChunk chunk in requestStream.ReadAllAsync(context.CancellationToken))
            {
                await Task.WhenAll(shards.Select((s, i) => OneAsync(s, "receiving the model", async () =>
                {
                    await uploads[i].RequestStream.WriteAsync(chunk, context.CancellationToken);
                    return true;
                })));
            }

            await Task.WhenAll(shards.Select((s, i) => OneAsync(s, "receiving the model", async () =>
            {
                await uploads[i].RequestStream.CompleteAsync();
                return true;
            })));
            return Same(await Task.WhenAll(shards.Select((s, i) => OneAsync(s, "registering the model", () => uploads[i].ResponseAsync))));
        }
        catch (Exception)
        {
            await all.CancelAsync();
            throw;
        }
        finally
        {
            foreach (AsyncClientStreamingCall<UploadModelChunk, ModelInfo> upload in uploads)
            {
                upload.Dispose();
            }
        }
    }

    private IReadOnlyList<string> Names => [.. topology.Shards.Select(s => s.Name)];

    private static DeepEverestException ImportRefused() => DeepEverestException.Precondition(
        "The router does not import datasets: import shard i of N on each shard's own IndexService, from the same files with the same settings " +
        "(deepeverest datasets import ... --shard i/N, or ImportDatasetRequest.shard), then query through the router (docs/scale-out.md).");

    /// <summary>The model as every shard registered it; FAILED_PRECONDITION naming a shard that registered another file.</summary>
    private ModelInfo Same(ModelInfo[] perShard)
    {
        for (int s = 1; s < perShard.Length; s++)
        {
            if (perShard[s].Sha256 != perShard[0].Sha256)
            {
                throw DeepEverestException.Precondition(
                    $"Model '{perShard[0].Name}': {topology.Shards[s].Name} registered another file than {topology.Shards[0].Name} (sha256 {perShard[s].Sha256} vs {perShard[0].Sha256}): give every shard the same file.");
            }
        }

        return perShard[0];
    }

    /// <summary>Calls every shard at once; the first failure (named) cancels the others and fails the call.</summary>
    private async Task<T[]> AllAsync<T>(string doing, Func<ShardClient, CallOptions, Task<T>> call, ServerCallContext context)
    {
        using var all = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        DateTime? deadline = Deadline(context);
        Task<T>[] calls = [.. topology.Shards.Select(shard => OneAsync(shard, doing, () => call(shard, shard.Call(deadline, all.Token))))];
        try
        {
            return await Task.WhenAll(calls);
        }
        catch (Exception)
        {
            await all.CancelAsync();
            // The first failure in shard order, not a cancellation it caused on another shard.
            throw calls.Select(c => c.Exception?.InnerException).OfType<RpcException>().FirstOrDefault(e => e.StatusCode != StatusCode.Cancelled)
                ?? calls.First(c => c.IsFaulted || c.IsCanceled).Exception?.InnerException ?? new OperationCanceledException();
        }
    }

    private static async Task<T> OneAsync<T>(ShardClient shard, string doing, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            throw ShardFailure.Of(shard, e, doing);
        }
    }

    private static async Task<(T?, RpcException?)> UnlessNotFoundAsync<T>(Task<T> call)
        where T : class
    {
        try
        {
            return (await call, null);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return (null, e);
        }
    }

    /// <summary>The client's deadline, which reaches every shard; none when the client sets none (a build may take hours).</summary>
    private static DateTime? Deadline(ServerCallContext context) => context.Deadline < DateTime.MaxValue ? context.Deadline : null;
}
