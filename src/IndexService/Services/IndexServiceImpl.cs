using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using Microsoft.Extensions.Options;
using V1 = DeepEverest.Contracts.V1;

namespace DeepEverest.IndexService.Services;

/// <summary>
/// The IndexService gRPC API (index_service.proto): datasets in <c>IndexServiceImpl.Datasets.cs</c>,
/// models in <c>IndexServiceImpl.Models.cs</c>, builds in <c>IndexServiceImpl.Builds.cs</c>,
/// published indexes in <c>IndexServiceImpl.Indexes.cs</c>.
/// Handlers throw <see cref="DeepEverestException"/> for anything the user can fix;
/// <see cref="DeepEverest.Hosting.ErrorMappingInterceptor"/> turns it into the status of the same name.
/// </summary>
internal sealed partial class IndexServiceImpl(
    StoreWriter store,
    IndexBuilder builder,
    BuildQueue buildQueue,
    CatalogGate catalog,
    IngestLimits limits,
    IOptions<IndexServiceOptions> options,
    ILogger<IndexServiceImpl> logger) : V1.IndexService.IndexServiceBase
{
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
