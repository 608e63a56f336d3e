namespace DeepEverest.Core.Indexing;

/// <summary>One build: which layer, and how (unset values take the service defaults).</summary>
/// <param name="Model">Registered model name.</param>
/// <param name="Dataset">Imported dataset name.</param>
/// <param name="Layer">Layer (ONNX tensor) name.</param>
/// <param name="Partitions">P, or null for the default / the storage budget's choice.</param>
/// <param name="Ratio">MAI ratio, or null likewise.</param>
/// <param name="StorageBudget">Fraction of full materialization the index may use; 0 = unset.</param>
/// <param name="BatchSize">Inference batch; 0 = default.</param>
/// <param name="MemoryBudgetMb">Activation memory budget in MiB; 0 = default.</param>
public sealed record IndexBuildRequest(
    string Model,
    string Dataset,
    string Layer,
    int? Partitions = null,
    double? Ratio = null,
    double StorageBudget = 0,
    int BatchSize = 0,
    long MemoryBudgetMb = 0);
