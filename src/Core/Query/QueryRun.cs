namespace DeepEverest.Core.Query;

/// <summary>A validated, planned query (<see cref="QueryEngine.Start"/>): the strategy that answers it, and its updates.</summary>
/// <param name="Strategy">
/// The strategy that will run: the one asked for, or ReprocessAll when the layer has no usable index.
/// </param>
/// <param name="Updates">
/// Progressive updates, produced as they are enumerated (the work happens then); the last has Done
/// set and is exact. Enumerate once.
/// </param>
public sealed record QueryRun(QueryStrategy Strategy, IEnumerable<TopKUpdateInfo> Updates);
