using DeepEverest.Contracts.V1;

namespace DeepEverest.Bench.Load;

/// <summary>
/// Random queries over published indexes: a random layer, target input, group (the target's top
/// M neurons or M random neurons, M in 1..max) and type (70% similarity with a random distance,
/// 30% highest activation with a random aggregate). Deterministic for a seed.
/// </summary>
internal sealed class LoadQueries(IReadOnlyList<IndexInfo> indexes, LoadBenchmarkOptions options, int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>One random query: a similarity request or a highest-activation request.</summary>
    public (TopKSimilarRequest? Similar, TopKHighestRequest? Highest) Next()
    {
        IndexInfo index = indexes[_random.Next(indexes.Count)];
        var target = new Target { InputId = _random.NextInt64(index.Inputs) };
        NeuronGroup group = Group(index);
        var queryOptions = new QueryOptions { Strategy = options.Strategy, NoCache = options.NoCache };
        if (_random.NextDouble() < 0.7)
        {
            return (new TopKSimilarRequest
            {
                Layer = index.Layer,
                Target = target,
                Group = group,
                K = options.K,
                Distance = (Distance)(1 + _random.Next(3)),
                Options = queryOptions,
            }, null);
        }

        return (null, new TopKHighestRequest
        {
            Layer = index.Layer,
            Target = target,
            Group = group,
            K = options.K,
            Aggregate = (Aggregate)(1 + _random.Next(3)),
            Options = queryOptions,
        });
    }

    private NeuronGroup Group(IndexInfo index)
    {
        int size = 1 + _random.Next((int)Math.Min(options.MaxGroup, index.Neurons));
        if (_random.Next(2) == 0)
        {
            return new NeuronGroup { TopOfTarget = size };
        }

        var neurons = new NeuronList();
        foreach (long flat in Enumerable.Range(0, size).Select(_ => _random.NextInt64(index.Neurons)).Distinct())
        {
            neurons.Neurons.Add(new Neuron { Flat = flat });
        }

        return new NeuronGroup { Neurons = neurons };
    }
}
