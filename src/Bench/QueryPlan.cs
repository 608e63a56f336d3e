using DeepEverest.Core.Query;

namespace DeepEverest.Bench;

/// <summary>
/// The seeded choices of the per-query experiment: targets (one list for every layer and grid
/// point, of which each setting takes a prefix) and groups (the target's top-m neurons, plus a
/// random group drawn per layer and target).
/// </summary>
internal static class QueryPlan
{
    /// <summary><paramref name="count"/> distinct input ids in [0, n), seeded.</summary>
    public static int[] Targets(int seed, int n, int count)
    {
        var rng = new Random(seed);
        var chosen = new List<int>(count);
        var seen = new HashSet<int>();
        while (chosen.Count < count)
        {
            int id = rng.Next(n);
            if (seen.Add(id))
            {
                chosen.Add(id);
            }
        }

        return [.. chosen];
    }

    /// <summary>
    /// The queries of one layer for <paramref name="targets"/>: both types, every group kind, plus
    /// the large kinds <paramref name="largeGroups"/> gives for a target (see <see cref="LargeGroups"/>).
    /// </summary>
    public static List<BenchQuery> Queries(PaperBenchmarkOptions options, int layerIndex, long neurons, IEnumerable<int> targets, Func<int, List<(string Kind, GroupSpec Group)>>? largeGroups = null)
    {
        (string role, string name) = options.Layers[layerIndex];
        var queries = new List<BenchQuery>();
        foreach (int target in targets)
        {
            List<(string Kind, GroupSpec Group)> groups = Groups(options, layerIndex, neurons, target);
            groups.AddRange(largeGroups?.Invoke(target) ?? []);
            foreach (QueryType type in new[] { QueryType.Similar, QueryType.Highest })
            {
                foreach ((string kind, GroupSpec group) in groups)
                {
                    queries.Add(new BenchQuery(role, name, type, target, kind, group));
                }
            }
        }

        return queries;
    }

    /// <summary>The group kinds in a fixed order: top-m for each configured m, then the random group.</summary>
    public static List<(string Kind, GroupSpec Group)> Groups(PaperBenchmarkOptions options, int layerIndex, long neurons, int target)
    {
        var groups = options.TopGroupSizes.Select(m => ($"top-{m}", (GroupSpec)new GroupSpec.TopOfTarget(m))).ToList();
        // The seed mixes layer and target without string.GetHashCode, which differs per process.
        var rng = new Random(unchecked(options.Seed + (layerIndex * 1_000_003) + (target * 31)));
        var neuronsChosen = new SortedSet<long>();
        while (neuronsChosen.Count < Math.Min(options.RandomGroupSize, neurons))
        {
            neuronsChosen.Add(rng.NextInt64(neurons));
        }

        groups.Add(($"random-{options.RandomGroupSize}", new GroupSpec.Explicit(neuronsChosen.Select(j => new[] { j }).ToList())));
        return groups;
    }

    /// <summary>
    /// The large group kinds for a target, from its activations of the layer (shape [C, H, W] or
    /// any rank >= 2): "channel", the whole channel of the target's most activated neuron
    /// (<c>rect:c,*,*</c>: "what does this channel respond to?"), and "rect-3x3", the 3x3 positions
    /// around that neuron in its channel (clipped at the borders). Empty for layers of rank 1.
    /// </summary>
    public static List<(string Kind, GroupSpec Group)> LargeGroups(IReadOnlyList<long> shape, ReadOnlySpan<float> target)
    {
        if (shape.Count < 2)
        {
            return [];
        }

        int top = 0;
        for (int j = 1; j < target.Length; j++)
        {
            if (target[j] > target[top])
            {
                top = j;
            }
        }

        // Coordinates of the top neuron, last dimension fastest.
        var coordinates = new long[shape.Count];
        long rest = top;
        for (int d = shape.Count - 1; d >= 0; d--)
        {
            coordinates[d] = rest % shape[d];
            rest /= shape[d];
        }

        var channel = new List<(long Start, long? End)> { (coordinates[0], coordinates[0] + 1) };
        var patch = new List<(long Start, long? End)> { (coordinates[0], coordinates[0] + 1) };
        for (int d = 1; d < shape.Count; d++)
        {
            channel.Add((0, shape[d]));
            bool spatial = d >= shape.Count - 2;
            patch.Add(spatial ? (Math.Max(0, coordinates[d] - 1), Math.Min(shape[d], coordinates[d] + 2)) : (coordinates[d], coordinates[d] + 1));
        }

        return [("channel", new GroupSpec.Rectangle(channel)), ("rect-3x3", new GroupSpec.Rectangle(patch))];
    }
}
