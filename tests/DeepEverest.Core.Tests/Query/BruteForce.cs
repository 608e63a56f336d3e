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

        var layerShape = demo.Store.GetModel(DemoStore.Model)!.Layers.First(l => l.Name == query.Layer).Shape;
        int[] group = NeuronGroups.Resolve(query.Group!, layerShape, target);
        float[] targetGroup = target.Length == 0 ? [] : group.Select(j => target[j]).ToArray();
        bool distance = query.Type == QueryType.Similar;
        var cost = new CostFunction(query.Score, group.Length, distance ? targetGroup : [], query.Weights);
        var candidates = new List<(double Cost, int Id)>();
        var labels = query.Filter.Labels.ToHashSet();
        var ids = query.Filter.Ids.ToHashSet();
        var activations = new float[group.Length];
        for (int i = 0; i < DemoStore.Inputs; i++)
        {
            if ((labels.Count > 0 && !labels.Contains(demo.Labels[i]))
                || (ids.Count > 0 && !ids.Contains(i))
                || (query.Filter.RangeStart is { } s && i < s) || (query.Filter.RangeEnd is { } e && i >= e)
                || (distance && !query.IncludeTarget && query.Target!.InputId == i))
            {
                continue;
            }

            for (int j = 0; j < group.Length; j++)
            {
                activations[j] = rows[i * neurons + group[j]];
            }

            candidates.Add((cost.Cost(activations), i));
        }

        candidates.Sort(TopKCollector.Compare);
        return candidates.Take(query.K).Select(c => (c.Id, cost.ToScore(c.Cost))).ToArray();
    }
}
