using DeepEverest.Contracts.V1;

namespace DeepEverest.Router.Merge;

/// <summary>
/// The shards' descriptions of one dataset, index or build as one (IndexService through the router,
/// docs/scale-out.md "Index calls through the router"): sizes and counts are sums, and an index
/// lists each shard's state (IndexInfo.shards).
/// </summary>
internal static class ShardIndexMerge
{
    /// <summary>
    /// One index over the shards from each shard's description of it (null where a shard has none),
    /// in shard order; null when no shard has it. See IndexInfo.shards for what each field becomes.
    /// </summary>
    public static IndexInfo? Index(IReadOnlyList<IndexInfo?> perShard, IReadOnlyList<string> names)
    {
        IndexInfo? first = perShard.FirstOrDefault(i => i is not null);
        if (first is null)
        {
            return null;
        }

        IndexInfo merged = first.Clone();
        merged.Shards.Clear();
        merged.Inputs = 0;
        merged.IndexBytes = 0;
        merged.FullMaterializationBytes = 0;
        merged.InferenceMs = 0;
        merged.ConstructionMs = 0;
        merged.Materialized = true;
        for (int s = 0; s < perShard.Count; s++)
        {
            IndexInfo? info = perShard[s];
            merged.Shards.Add(new ShardIndexState
            {
                Shard = names[s],
                Built = info is not null,
                Inputs = info?.Inputs ?? 0,
                IndexBytes = info?.IndexBytes ?? 0,
                Generation = info?.Generation ?? 0,
                BuiltAtUnixMs = info?.BuiltAtUnixMs ?? 0,
            });
            if (info is null)
            {
                continue;
            }

            merged.Inputs += info.Inputs;
            merged.IndexBytes += info.IndexBytes;
            merged.FullMaterializationBytes += info.FullMaterializationBytes;
            merged.InferenceMs += info.InferenceMs;
            merged.ConstructionMs += info.ConstructionMs;
            merged.BuiltAtUnixMs = Math.Max(merged.BuiltAtUnixMs, info.BuiltAtUnixMs);
            merged.Spilled |= info.Spilled;
            merged.Materialized &= info.Materialized;
        }

        merged.StorageFraction = merged.FullMaterializationBytes > 0 ? (double)merged.IndexBytes / merged.FullMaterializationBytes : 0;
        return merged;
    }

    /// <summary>
    /// Every index the shards list, merged per layer (model, dataset, layer), in the order the
    /// shards first list them.
    /// </summary>
    public static IEnumerable<IndexInfo> Indexes(IReadOnlyList<ListIndexesResponse> perShard, IReadOnlyList<string> names)
    {
        var keys = new List<(string, string, string)>();
        var byKey = new Dictionary<(string, string, string), IndexInfo?[]>();
        for (int s = 0; s < perShard.Count; s++)
        {
            foreach (IndexInfo info in perShard[s].Indexes)
            {
                (string, string, string) key = (info.Layer?.Model ?? "", info.Layer?.Dataset ?? "", info.Layer?.Layer ?? "");
                if (!byKey.TryGetValue(key, out IndexInfo?[]? infos))
                {
                    byKey[key] = infos = new IndexInfo?[perShard.Count];
                    keys.Add(key);
                }

                infos[s] = info;
            }
        }

        return keys.Select(key => Index(byKey[key], names)!);
    }

    /// <summary>
    /// Each dataset the shards hold as one: count and stored bytes summed, labels united, ids
    /// [0, total_count) when the shards' counts add up to it (the router's query-time check says
    /// whether their ranges tile it); the rest is the first shard's.
    /// </summary>
    public static IEnumerable<DatasetInfo> Datasets(IEnumerable<ListDatasetsResponse> perShard)
    {
        var merged = new List<DatasetInfo>();
        foreach (DatasetInfo info in perShard.SelectMany(r => r.Datasets))
        {
            DatasetInfo? known = merged.Find(d => d.Name == info.Name);
            if (known is null)
            {
                merged.Add(info.Clone());
                continue;
            }

            known.Count += info.Count;
            known.StoredBytes += info.StoredBytes;
            known.HasLabels |= info.HasLabels;
            int[] labels = [.. known.Labels.Union(info.Labels).Order()];
            known.Labels.Clear();
            known.Labels.AddRange(labels);
            foreach ((int label, string name) in info.LabelNames)
            {
                known.LabelNames.TryAdd(label, name);
            }

            long start = Math.Min(known.InputRange?.Start ?? 0, info.InputRange?.Start ?? 0);
            long end = Math.Max(known.InputRange?.End ?? known.Count, info.InputRange?.End ?? info.Count);
            known.InputRange = new InputRange { Start = start, End = end };
        }

        foreach (DatasetInfo d in merged.Where(d => d.TotalCount == d.Count))
        {
            d.InputRange = new InputRange { Start = 0, End = d.Count };
        }

        return merged;
    }

    /// <summary>
    /// One progress message over the shards' latest (null before a shard's first): the earliest
    /// phase (DONE only when every shard is done), inputs and neurons summed (so progress is the
    /// sum of done over the sum of total), the longest estimate left (-1 while any is unknown), and
    /// on DONE the merged index.
    /// </summary>
    public static BuildProgress Build(IReadOnlyList<BuildProgress?> perShard, IReadOnlyList<string> names, long elapsedMs)
    {
        var merged = new BuildProgress { ElapsedMs = elapsedMs, Phase = BuildPhase.Done };
        var messages = new List<string>();
        foreach (BuildProgress? p in perShard)
        {
            BuildPhase phase = p is null || p.Phase == BuildPhase.Unspecified ? BuildPhase.Queued : p.Phase;
            merged.Phase = (BuildPhase)Math.Min((int)merged.Phase, (int)phase);
            if (p is null)
            {
                merged.EstimatedRemainingMs = -1;
                continue;
            }

            merged.InputsDone += p.InputsDone;
            merged.InputsTotal += p.InputsTotal;
            merged.NeuronsDone += p.NeuronsDone;
            merged.NeuronsTotal += p.NeuronsTotal;
            if (p.Phase != BuildPhase.Done)
            {
                // The shards build at once: the slowest one's estimate is the build's.
                merged.EstimatedRemainingMs = merged.EstimatedRemainingMs < 0 || p.EstimatedRemainingMs < 0 ? -1 : Math.Max(merged.EstimatedRemainingMs, p.EstimatedRemainingMs);
            }

            if (p.Message.Length > 0 && !messages.Contains(p.Message))
            {
                messages.Add(p.Message);
            }
        }

        merged.Message = string.Join("; ", messages);
        if (merged.Phase == BuildPhase.Done)
        {
            merged.EstimatedRemainingMs = 0;
            merged.Index = Index([.. perShard.Select(p => p!.Index)], names);
        }

        return merged;
    }
}
