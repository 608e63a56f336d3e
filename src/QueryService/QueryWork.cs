namespace DeepEverest.QueryService;

/// <summary>The work a query reported in its last update (cumulative counts, as in QueryStats).</summary>
/// <param name="Inferred">Inputs run through the model (cache hits excluded).</param>
/// <param name="Pruned">Inputs ruled out by bounds without inference.</param>
/// <param name="ExactFromIndex">Inputs whose score the index alone gave exactly.</param>
/// <param name="CacheHits">Inputs whose activations came from the activation cache.</param>
internal readonly record struct QueryWork(long Inferred, long Pruned, long ExactFromIndex, long CacheHits);
