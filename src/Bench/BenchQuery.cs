using DeepEverest.Core.Query;
using DeepEverest.Kernels;

namespace DeepEverest.Bench;

/// <summary>One query of the per-query experiment, independent of the strategy that answers it.</summary>
/// <param name="Layer">Layer role.</param>
/// <param name="LayerName">ONNX tensor name.</param>
/// <param name="Type">Similar (l2) or highest (sum).</param>
/// <param name="Target">Target input id.</param>
/// <param name="GroupKind">top-1, top-3, top-10, random-10, channel or rect-3x3.</param>
/// <param name="Group">The group.</param>
internal sealed record BenchQuery(string Layer, string LayerName, QueryType Type, int Target, string GroupKind, GroupSpec Group)
{
    /// <summary>Identifies the query across grid points and strategies.</summary>
    public string Key => $"{Layer}/{TypeName}/{GroupKind}/{Target}";

    /// <summary>similar or highest.</summary>
    public string TypeName => Type == QueryType.Similar ? "similar" : "highest";

    /// <summary>The engine's query for <paramref name="strategy"/> (on the demo model unless named).</summary>
    public TopKQuery ToQuery(QueryStrategy strategy, int k, string model = BenchStores.Model, string dataset = BenchStores.Dataset, bool useCache = true) => new(
        model,
        dataset,
        LayerName,
        Type,
        new QueryTarget(Target, null),
        Group,
        k,
        Type == QueryType.Similar ? ScoreKind.L2 : ScoreKind.Sum,
        [],
        IncludeTarget: false,
        QueryFilter.None,
        strategy,
        UseCache: useCache);
}
