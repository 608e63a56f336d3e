using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using Grpc.Core;
using Microsoft.Extensions.Options;
using V1 = DeepEverest.Contracts.V1;

namespace DeepEverest.IndexService.Internal;

/// <summary>
/// The IndexService gRPC API (index_service.proto): catalog calls here, builds in
/// <c>IndexServiceImpl.Builds.cs</c>, published indexes in <c>IndexServiceImpl.Indexes.cs</c>.
/// Handlers throw <see cref="DeepEverestException"/> for anything the user can fix;
/// <see cref="DeepEverest.Hosting.ErrorMappingInterceptor"/> turns it into the status of the same name.
/// </summary>
internal sealed partial class IndexServiceImpl(
    DeepEverestStore store,
    IndexBuilder builder,
    BuildQueue buildQueue,
    CatalogGate catalog,
    IOptions<IndexServiceOptions> options,
    ILogger<IndexServiceImpl> logger) : V1.IndexService.IndexServiceBase
{
    /// <inheritdoc />
    public override Task<DatasetInfo> ImportDataset(ImportDatasetRequest request, ServerCallContext context) =>
        catalog.RunAsync(
            () =>
            {
                var parts = request.Parts
                    .Select(p => new DatasetPartFiles(
                        DataRoot.Resolve(store.DataRoot, p.InputsPath),
                        string.IsNullOrEmpty(p.LabelsPath) ? null : DataRoot.Resolve(store.DataRoot, p.LabelsPath)))
                    .ToList();
                float scale = request.Preprocessing?.Scale ?? 0;
                float shift = request.Preprocessing?.Shift ?? 0;
                DatasetRecord record = DatasetImporter.Import(store, request.Name, parts, scale, shift, [.. request.InputShape], request.Replace);
                IndexServiceLog.DatasetImported(logger, record.Name, record.Count, string.Join(", ", record.InputShape));
                return ProtoMapping.ToInfo(record);
            },
            context.CancellationToken);

    /// <inheritdoc />
    public override Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context)
    {
        var response = new ListDatasetsResponse();
        response.Datasets.AddRange(store.ListDatasets().Select(ProtoMapping.ToInfo));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ModelInfo> AddModel(AddModelRequest request, ServerCallContext context)
    {
        StoreLayout.ValidateName(request.Name, "model");
        string path = DataRoot.Resolve(store.DataRoot, request.Path);
        return catalog.RunAsync(
            () =>
            {
                if (!File.Exists(path))
                {
                    throw DeepEverestException.NotFound($"No model file at '{request.Path}' under the data root {store.DataRoot}.");
                }

                return RegisterModel(request.Name, File.ReadAllBytes(path), request.Replace);
            },
            context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<ModelInfo> UploadModel(IAsyncStreamReader<UploadModelChunk> requestStream, ServerCallContext context)
    {
        long limit = (long)options.Value.MaxUploadMb << 20;
        string? name = null;
        bool replace = false;
        using var buffer = new MemoryStream();
        await foreach (UploadModelChunk chunk in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (name is null)
            {
                name = chunk.Name;
                replace = chunk.Replace;

                // Refuse a bad name before accepting megabytes under it.
                StoreLayout.ValidateName(name, "model");
            }

            if (buffer.Length + chunk.Data.Length > limit)
            {
                throw new DeepEverestException(
                    ErrorKind.ResourceExhausted,
                    $"The upload exceeds the limit of {options.Value.MaxUploadMb} MiB (DeepEverest:MaxUploadMb); "
                    + "copy the file under the data root and use AddModel, or raise the limit.");
            }

            chunk.Data.WriteTo(buffer);
        }

        if (name is null)
        {
            throw DeepEverestException.Invalid("The upload had no chunks: send the model name and its bytes.");
        }

        byte[] bytes = buffer.ToArray();
        return await catalog.RunAsync(() => RegisterModel(name, bytes, replace), context.CancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        response.Models.AddRange(store.ListModels().Select(ProtoMapping.ToInfo));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ListLayersResponse> ListLayers(ListLayersRequest request, ServerCallContext context)
    {
        ModelRecord model = store.RequireModel(CatalogDefaults.Model(store, request.Model, "model"));
        var response = new ListLayersResponse();
        response.Layers.AddRange(model.Layers.Select(ProtoMapping.ToInfo));
        return Task.FromResult(response);
    }

    /// <summary>Registers a model (rules in <see cref="ModelCatalog.Register"/>). Runs under the catalog gate.</summary>
    private ModelInfo RegisterModel(string name, byte[] bytes, bool replace)
    {
        ModelRecord record = ModelCatalog.Register(store, name, bytes, replace);
        IndexServiceLog.ModelRegistered(logger, name, record.Bytes, record.Sha256, record.Layers.Count);
        return ProtoMapping.ToInfo(record);
    }

    /// <summary>
    /// A layer reference with its model and dataset filled in (an empty one means the only one
    /// registered, see <see cref="CatalogDefaults"/>); the layer itself is required.
    /// </summary>
    private LayerRef RequireLayerRef(LayerRef? layer)
    {
        if (string.IsNullOrEmpty(layer?.Layer))
        {
            throw DeepEverestException.Invalid("layer.layer is required: name a layer (IndexService.ListLayers lists them).");
        }

        return new LayerRef
        {
            Model = CatalogDefaults.Model(store, layer.Model, "layer.model"),
            Dataset = CatalogDefaults.Dataset(store, layer.Dataset, "layer.dataset"),
            Layer = layer.Layer,
        };
    }
}
