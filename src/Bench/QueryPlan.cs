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

    /// <summary>The queries of one layer for <paramref name="targets"/>: both types, every group kind.</summary>
    public static List<BenchQuery> Queries(PaperBenchmarkOptions options, int layerIndex, long neurons, IEnumerable<int> targets)
    {
        (string role, string name) = options.Layers[layerIndex];
        var queries = new List<BenchQuery>();
        foreach (int target in targets)
        {
            foreach (QueryType type in new[] { QueryType.Similar, QueryType.Highest })
            {
                foreach ((string kind, GroupSpec group) in Groups(options, layerIndex, neurons, target))
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
}
