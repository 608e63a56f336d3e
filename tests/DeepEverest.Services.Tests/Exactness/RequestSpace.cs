namespace DeepEverest.Services.Tests.Exactness;

/// <summary>One layer the differential test queries: its shape and what the store holds for it.</summary>
/// <param name="Name">Layer (tensor) name.</param>
/// <param name="Shape">Shape without the batch axis.</param>
/// <param name="Indexed">Whether an index is published (else every strategy falls back to ReprocessAll).</param>
/// <param name="Summaries">Whether its index has channel summaries (whole channels take that path).</param>
/// <param name="Materialized">Whether STRATEGY_MATERIALIZED can answer.</param>
internal sealed record SpaceLayer(string Name, long[] Shape, bool Indexed, bool Summaries, bool Materialized)
{
    /// <summary>Neurons of the layer.</summary>
    public int Neurons => (int)Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>What requests may name: the model, the dataset and its labels, the layers.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Dataset">Dataset name.</param>
/// <param name="OnlyOne">Whether the store holds one model and one dataset (empty names then resolve to them).</param>
/// <param name="Inputs">Dataset inputs (ids 0..Inputs-1).</param>
/// <param name="InputShape">Shape of one input (no batch axis).</param>
/// <param name="Labels">Label of every input, or null when the dataset has none.</param>
/// <param name="Layers">The layers to query.</param>
/// <param name="ScanLimit">Most inputs a request may make the service scan whole (ReprocessAll, NTA, a
/// materialization): larger datasets get an id range filter on such requests so long runs stay feasible.</param>
internal sealed record RequestSpace(string Model, string Dataset, bool OnlyOne, int Inputs, long[] InputShape, int[]? Labels, IReadOnlyList<SpaceLayer> Layers, int ScanLimit)
{
    /// <summary>Labels that occur in the dataset, ascending.</summary>
    public int[] DistinctLabels { get; } = Labels is null ? [] : [.. Labels.Distinct().Order()];
}
