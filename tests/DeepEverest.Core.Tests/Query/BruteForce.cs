using DeepEverest.Core.Query;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Query.Results;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Query;

/// <summary>Reference answers computed from the full model's outputs, independently of the engine.</summary>
internal static class BruteForce
{
    /// <summary>
    /// The reference answer from the full model's activations: every considered input's cost by the
    /// scalar definition, sorted by (cost, id).
    /// </summary>
    public static (int Id, double Score)[] Answer(DemoStore demo, TopKQuery query)
    {
        float[] rows = demo.FullActivations(query.Layer);
        int neurons = rows.Length / (DemoStore.Inputs + DemoStore.OutsideImages);
        float[] target = [];
        if (query.Target is not null)
        {
            int targetRow = query.Target.InputId is { } id
                ? (int)id
                : DemoStore.Inputs + Enumerable.Range(0, DemoStore.OutsideImages).First(o => demo.Image(DemoStore.Inputs + o).SequenceEqual(query.Target.Tensor!));
            target = rows.AsSpan(targetRow * neurons, neurons).ToArray();
        }

        long[] layerShape = [.. demo.Store.GetModel(DemoStore.Model)!.Layers.First(l => l.Name == query.Layer).Shape];
        var labels = query.Filter.Labels.ToHashSet();
        var ids = query.Filter.Ids.ToHashSet();
        IEnumerable<int> kept = Enumerable.Range(0, DemoStore.Inputs).Where(i =>
            (labels.Count == 0 || labels.Contains(demo.Labels[i]))
            && (ids.Count == 0 || ids.Contains(i))
            && (query.Filter.RangeStart is not { } s || i >= s) && (query.Filter.RangeEnd is not { } e || i < e));
        return Rank(query, rows, neurons, layerShape, target, kept);
    }

    /// <summary>
    /// Ranks <paramref name="inputs"/> (row i of <paramref name="rows"/> is input i's activations)
    /// by the scalar cost definition of <paramref name="query"/>'s score over its group, resolved
    /// against <paramref name="target"/> (empty without one); a similar query leaves its target
    /// input out unless it includes it. The first k by (cost, id).
    /// </summary>
    public static (int Id, double Score)[] Rank(TopKQuery query, float[] rows, int neurons, IReadOnlyList<long> layerShape, float[] target, IEnumerable<int> inputs)
    {
        int[] group = NeuronGroups.Resolve(query.Group!, layerShape, target);
        bool distance = query.Type == QueryType.Similar;
        float[] targetGroup = target.Length == 0 ? [] : [.. group.Select(j => target[j])];
        var cost = new CostFunction(query.Score, group.Length, distance ? targetGroup : [], query.Weights);
        var candidates = new List<(double Cost, int Id)>();
        var activations = new float[group.Length];
        foreach (int i in inputs)
        {
            if (distance && !query.IncludeTarget && query.Target?.InputId == i)
            {
                continue;
            }

            for (int j = 0; j < group.Length; j++)
            {
                activations[j] = rows[((long)i * neurons) + group[j]];
            }

            candidates.Add((cost.Cost(activations), i));
        }

        candidates.Sort(TopKCollector.Compare);
        return [.. candidates.Take(query.K).Select(c => (c.Id, cost.ToScore(c.Cost)))];
    }
}
