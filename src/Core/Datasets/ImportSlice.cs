namespace DeepEverest.Core.Datasets;

/// <summary>
/// Which inputs of the source (its parts concatenated, global ids 0..total-1) an import keeps: an
/// explicit range [start, end), or shard <c>index</c> of <c>count</c> near-equal ranges. The
/// imported dataset is an input-range shard (docs/scale-out.md): it stores only those inputs and
/// reports them under their global ids.
/// </summary>
public sealed record ImportSlice
{
    private ImportSlice(long start, long end, int shardIndex, int shardCount)
    {
        Start = start;
        End = end;
        ShardIndex = shardIndex;
        ShardCount = shardCount;
    }

    /// <summary>First global id of an explicit range (unused for a shard of N).</summary>
    public long Start { get; }

    /// <summary>Global id past the last of an explicit range (unused for a shard of N).</summary>
    public long End { get; }

    /// <summary>Shard number, 0..<see cref="ShardCount"/>-1, or -1 for an explicit range.</summary>
    public int ShardIndex { get; }

    /// <summary>Number of shards, or 0 for an explicit range.</summary>
    public int ShardCount { get; }

    /// <summary>The global ids [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static ImportSlice Range(long start, long end) => new(start, end, -1, 0);

    /// <summary>Shard <paramref name="index"/> of <paramref name="count"/> (see <see cref="Resolve"/>).</summary>
    public static ImportSlice Shard(int index, int count) => new(0, 0, index, count);

    /// <summary>
    /// The global range [start, end) this slice keeps of a source of <paramref name="total"/>
    /// inputs. Shard i of N is [floor(i * total / N), floor((i + 1) * total / N)): sizes differ by
    /// at most one and the N shards cover the source exactly once.
    /// </summary>
    /// <exception cref="DeepEverestException">InvalidArgument when the range is empty, negative or runs past the source's end.</exception>
    public (long Start, long End) Resolve(long total)
    {
        if (ShardCount > 0 || ShardIndex >= 0)
        {
            if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount)
            {
                throw DeepEverestException.Invalid($"shard {{index: {ShardIndex}, count: {ShardCount}}} is not a shard: count must be >= 1 and index in 0..count-1.");
            }

            if (ShardCount > total)
            {
                throw DeepEverestException.Invalid($"shard count {ShardCount} exceeds the {total} inputs of the source: every shard needs at least one input.");
            }

            return (ShardIndex * total / ShardCount, (ShardIndex + 1) * total / ShardCount);
        }

        if (Start < 0 || End <= Start)
        {
            throw DeepEverestException.Invalid($"input_range [{Start}, {End}) must be non-empty with 0 <= start < end.");
        }

        if (End > total)
        {
            throw DeepEverestException.Invalid($"input_range [{Start}, {End}) runs past the end of the source: its parts hold {total} inputs (ids 0..{total - 1}).");
        }

        return (Start, End);
    }
}
