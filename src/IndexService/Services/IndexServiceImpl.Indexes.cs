using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using Grpc.Core;

namespace DeepEverest.IndexService.Services;

internal sealed partial class IndexServiceImpl
{
    /// <inheritdoc />
    public override Task<ListIndexesResponse> ListIndexes(ListIndexesRequest request, ServerCallContext context)
    {
        // One snapshot: the indexes, and the model and dataset versions they are checked against.
        using StoreReader snapshot = store.Snapshot();
        var materialized = snapshot.ListMaterializations()
            .Select(m => (m.Model, m.Dataset, m.Layer))
            .ToHashSet();
        var models = snapshot.ListModels().ToDictionary(m => m.Name);
        var datasets = snapshot.ListDatasets().ToDictionary(d => d.Name);
        var response = new ListIndexesResponse();
        foreach (IndexRecord index in snapshot.ListIndexes())
        {
            // An index whose model or dataset changed since it was built is never used: not listed.
            bool current = models.TryGetValue(index.Model, out ModelRecord? model) && datasets.TryGetValue(index.Dataset, out DatasetRecord? dataset)
                && StoreReader.StaleReason(index, model, dataset) is null;
            if (current && (request.Model.Length == 0 || index.Model == request.Model) && (request.Dataset.Length == 0 || index.Dataset == request.Dataset))
            {
                response.Indexes.Add(ProtoMapping.ToInfo(index, materialized.Contains((index.Model, index.Dataset, index.Layer))));
            }
        }

        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<IndexInfo> DescribeIndex(DescribeIndexRequest request, ServerCallContext context)
    {
        LayerRef layer = RequireLayerRef(request.Layer);
        using StoreReader snapshot = store.Snapshot();
        IndexRecord index = RequireIndex(snapshot, layer);
        string? stale = StoreReader.StaleReason(index, snapshot.RequireModel(layer.Model), snapshot.RequireDataset(layer.Dataset));
        if (stale is not null)
        {
            throw DeepEverestException.Precondition($"{stale}, so it is never used; delete it (DeleteIndex) and build it again.");
        }

        bool materialized = snapshot.GetMaterialization(layer.Model, layer.Dataset, layer.Layer) is not null;
        return Task.FromResult(ProtoMapping.ToInfo(index, materialized));
    }

    /// <inheritdoc />
    public override Task<DeleteIndexResponse> DeleteIndex(DeleteIndexRequest request, ServerCallContext context)
    {
        LayerRef layer = RequireLayerRef(request.Layer);
        long bytes = store.DeleteIndex(layer.Model, layer.Dataset, layer.Layer);
        if (bytes < 0)
        {
            // Same message as DescribeIndex: says whether the model, dataset or layer is wrong.
            RequireIndex(store, layer);

            // Only reached when a build published the index after the delete looked for it.
            throw DeepEverestException.NotFound($"The index of '{layer.Layer}' was published while it was being deleted; delete it again.");
        }

        IndexServiceLog.IndexDeleted(logger, layer.Model, layer.Dataset, layer.Layer, bytes);
        return Task.FromResult(new DeleteIndexResponse { BytesFreed = bytes });
    }

    /// <summary>
    /// The published index of a layer, or a NotFound failure that says which part of the reference
    /// is wrong and what exists instead.
    /// </summary>
    private static IndexRecord RequireIndex(StoreReader store, LayerRef layer)
    {
        IndexRecord? index = store.GetIndex(layer.Model, layer.Dataset, layer.Layer);
        if (index is not null)
        {
            return index;
        }

        ModelRecord model = store.RequireModel(layer.Model);
        store.RequireDataset(layer.Dataset);
        if (model.Layers.All(l => l.Name != layer.Layer))
        {
            throw DeepEverestException.NotFound(
                $"Model '{layer.Model}' has no layer '{layer.Layer}'; IndexService.ListLayers lists them.");
        }

        string[] others = store.ListIndexes()
            .Where(i => i.Model == layer.Model && i.Dataset == layer.Dataset)
            .Select(i => i.Layer)
            .ToArray();
        string known = others.Length == 0 ? "none yet" : string.Join(", ", others);
        throw DeepEverestException.NotFound(
            $"Layer '{layer.Layer}' of model '{layer.Model}' over dataset '{layer.Dataset}' has no index (indexed layers: {known}); "
            + "IndexService.BuildIndex builds one.");
    }
}
