using DeepEverest.Contracts.V1;

namespace DeepEverest.Router.Shards;

/// <summary>One shard's part of one dataset: the global ids [<see cref="Start"/>, <see cref="End"/>).</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Info">Its description of the dataset (ListDatasets).</param>
internal sealed record ShardSlice(ShardClient Shard, DatasetInfo Info)
{
    /// <summary>First global id.</summary>
    public long Start => Info.InputRange?.Start ?? 0;

    /// <summary>Global id past the last.</summary>
    public long End => Info.InputRange is { } range ? range.End : Info.Count;

    /// <summary>Inputs of the whole source as the shard knows it.</summary>
    public long Total => Info.TotalCount > 0 ? Info.TotalCount : Info.Count;

    /// <summary>Whether the slice holds any id of [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool Overlaps(long start, long end) => start < End && Start < end;

    /// <summary>Whether the slice holds <paramref name="id"/>.</summary>
    public bool Holds(long id) => id >= Start && id < End;

    /// <summary>The range as messages write it.</summary>
    public override string ToString() => $"{Shard.Name} [{Start}, {End})";
}
