using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using Microsoft.Extensions.Options;
using V1 = DeepEverest.Contracts.V1;

namespace DeepEverest.IndexService.Internal;

/// <summary>
/// The IndexService gRPC API (index_service.proto): datasets in <c>IndexServiceImpl.Datasets.cs</c>,
/// models in <c>IndexServiceImpl.Models.cs</c>, builds in <c>IndexServiceImpl.Builds.cs</c>,
/// published indexes in <c>IndexServiceImpl.Indexes.cs</c>.
/// Handlers throw <see cref="DeepEverestException"/> for anything the user can fix;
/// <see cref="DeepEverest.Hosting.ErrorMappingInterceptor"/> turns it into the status of the same name.
/// </summary>
internal sealed partial class IndexServiceImpl(
    DeepEverestStore store,
    IndexBuilder builder,
    BuildQueue buildQueue,
    CatalogGate catalog,
    IngestLimits limits,
    IOptions<IndexServiceOptions> options,
    ILogger<IndexServiceImpl> logger) : V1.IndexService.IndexServiceBase
{
    /// <summary>Checks that a layer reference names all three parts.</summary>
    private static LayerRef RequireLayerRef(LayerRef? layer)
    {
        var missing = new List<string>();
        if (string.IsNullOrEmpty(layer?.Model))
        {
            missing.Add("layer.model");
        }

        if (string.IsNullOrEmpty(layer?.Dataset))
        {
            missing.Add("layer.dataset");
        }

        if (string.IsNullOrEmpty(layer?.Layer))
        {
            missing.Add("layer.layer");
        }

        if (missing.Count > 0)
        {
            throw DeepEverestException.Invalid($"Missing {string.Join(", ", missing)}: a layer reference names a model, a dataset and a layer.");
        }

        return layer!;
    }
}
