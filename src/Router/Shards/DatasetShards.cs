using DeepEverest.Core;

namespace DeepEverest.Router.Shards;

/// <summary>
/// One dataset as the shards hold it: slices ordered by their first id that tile [0, total) exactly
/// once, all of one source (same total, input shape, element type and preprocessing).
/// </summary>
internal sealed class DatasetShards
{
    private DatasetShards(string name, long total, IReadOnlyList<ShardSlice> slices)
    {
        Name = name;
        Total = total;
        Slices = slices;
    }

    /// <summary>The dataset's name.</summary>
    public string Name { get; }

    /// <summary>Inputs of the whole source: global ids run 0..Total-1.</summary>
    public long Total { get; }

    /// <summary>The slices in id order.</summary>
    public IReadOnlyList<ShardSlice> Slices { get; }

    /// <summary>The slice that holds <paramref name="id"/>, or null when no shard does (an id outside the source).</summary>
    public ShardSlice? Owner(long id) => Slices.FirstOrDefault(s => s.Holds(id));

    /// <summary>
    /// Checks that <paramref name="slices"/> are one source cut in ranges that tile it exactly once.
    /// Throws FailedPrecondition naming the shards and ranges that overlap, the ids no shard holds,
    /// or the shard that describes another source.
    /// </summary>
    public static DatasetShards Tile(string name, IEnumerable<ShardSlice> slices)
    {
        List<ShardSlice> ordered = [.. slices.OrderBy(s => s.Start).ThenBy(s => s.Shard.Position)];
        ShardSlice first = ordered[0];
        foreach (ShardSlice other in ordered.Skip(1))
        {
            string? differs = other.Total != first.Total ? $"total_count {other.Total} vs {first.Total}"
                : !other.Info.InputShape.SequenceEqual(first.Info.InputShape) ? $"input_shape [{string.Join(", ", other.Info.InputShape)}] vs [{string.Join(", ", first.Info.InputShape)}]"
                : other.Info.ElementType != first.Info.ElementType ? $"element_type {other.Info.ElementType} vs {first.Info.ElementType}"
                : !Equals(other.Info.Preprocessing, first.Info.Preprocessing) ? $"preprocessing {other.Info.Preprocessing} vs {first.Info.Preprocessing}"
                : null;
            if (differs is not null)
            {
                throw DeepEverestException.Precondition(
                    $"Dataset '{name}': {other.Shard.Name} serves another source than {first.Shard.Name} ({differs}). Import every shard from the same files with the same settings.");
            }
        }

        long next = 0;
        foreach (ShardSlice slice in ordered)
        {
            if (slice.Start < next)
            {
                ShardSlice previous = ordered.Last(s => s != slice && s.Start <= slice.Start && s.End > slice.Start);
                throw DeepEverestException.Precondition(
                    $"Dataset '{name}': the shards' ranges overlap: {previous} and {slice}. Each id of [0, {first.Total}) must be on exactly one shard.");
            }

            if (slice.Start > next)
            {
                throw DeepEverestException.Precondition(
                    $"Dataset '{name}': ids [{next}, {slice.Start}) are on no shard (the shards hold {string.Join(", ", ordered)}). Each id of [0, {first.Total}) must be on exactly one shard.");
            }

            next = slice.End;
        }

        if (next != first.Total)
        {
            throw DeepEverestException.Precondition(
                $"Dataset '{name}': ids [{next}, {first.Total}) are on no shard (the shards hold {string.Join(", ", ordered)}). Each id of [0, {first.Total}) must be on exactly one shard.");
        }

        return new DatasetShards(name, first.Total, ordered);
    }
}
