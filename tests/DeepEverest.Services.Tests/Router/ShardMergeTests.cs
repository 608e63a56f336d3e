using DeepEverest.Contracts.V1;
using DeepEverest.Router.Merge;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// The merge's rules on hand-made shard updates: ties by id decide whether another shard's unsent
/// input can still come first (for finality and for the pushdown), a shard that has sent nothing
/// blocks finality, a stopped shard keeps its exact hits and drops its unverified ones, and only a
/// merge with no live shard is done.
/// </summary>
public sealed class ShardMergeTests
{
    [Fact]
    public void Current_EqualThresholdOnShardOfLargerIds_HitFinal()
    {
        var merge = new ShardMerge(highest: false, k: 2, starts: [0, 10]);
        merge.Apply(0, Update(threshold: 2.0, done: false, Exact(5, 1.0, final: true)));

        bool beforeOtherSpoke = merge.Current(0, first: true).Hits[0].Final;
        merge.Apply(1, Update(threshold: 1.0, done: false));
        TopKUpdate update = merge.Current(0, first: false);

        Assert.False(beforeOtherSpoke);
        Assert.True(update.Hits[0].Final);
        Assert.Equal(1.0, update.Threshold);
    }

    [Fact]
    public void Current_EqualThresholdOnShardOfSmallerIds_HitNotFinal()
    {
        // Shard 0 holds ids [0, 10): an unsent input of score 1.0 and id < 12 would rank first.
        var merge = new ShardMerge(highest: false, k: 2, starts: [0, 10]);
        merge.Apply(1, Update(threshold: 2.0, done: false, Exact(12, 1.0, final: true)));
        merge.Apply(0, Update(threshold: 1.0, done: false));

        Assert.False(merge.Current(0, first: true).Hits[0].Final);

        merge.Apply(0, Update(threshold: 1.0000001, done: false));
        Assert.True(merge.Current(0, first: false).Hits[0].Final);
    }

    [Fact]
    public void Prunable_Highest_OnlyShardsStrictlyBelowTheKthOrTiedWithLargerIds()
    {
        // Highest: scores are aggregates, higher first; the k-th (k = 1) is input 15 at 3.0.
        var merge = new ShardMerge(highest: true, k: 1, starts: [0, 10, 20, 30]);
        merge.Apply(1, Update(threshold: 2.5, done: false, Exact(15, 3.0, final: false)));
        merge.Apply(0, Update(threshold: 3.0, done: false));
        merge.Apply(2, Update(threshold: 3.0, done: false));
        merge.Apply(3, Update(threshold: 3.5, done: false));

        Assert.Equal([1, 2], merge.Prunable().Order());
    }

    [Fact]
    public void Stop_LiveShard_KeepsExactHitsDropsUnverifiedAndDoneOnlyWhenNoneLive()
    {
        var merge = new ShardMerge(highest: false, k: 3, starts: [0, 10]);
        merge.Apply(0, Update(threshold: double.NaN, done: true, Exact(1, 0.5, final: true)));
        merge.Apply(1, Update(threshold: 0.8, done: false, Exact(11, 0.7, final: false), Unverified(12, 0.8, 1.2)));

        TopKUpdate live = merge.Current(0, first: true);
        merge.Stop(1);
        TopKUpdate stopped = merge.Current(0, first: false);

        Assert.False(live.Done);
        Assert.Equal([1L, 11, 12], live.Hits.Select(h => h.InputId));
        Assert.True(stopped.Done);
        Assert.Equal([1L, 11], stopped.Hits.Select(h => h.InputId));
        Assert.All(stopped.Hits, h => Assert.True(h.Final));
        Assert.Equal((2, 2), (stopped.Stats.ShardsTotal, stopped.Stats.ShardsDone));
        Assert.True(double.IsNaN(stopped.Threshold));
    }

    [Fact]
    public void Current_TextHitsOfTwoShards_KeepTheirContext()
    {
        // A text dataset is not imported in input-range shards today (docs/text.md), but the merge
        // must not drop what a shard sends with its hits: each merged hit is the shard's, final or not.
        var merge = new ShardMerge(highest: true, k: 3, starts: [0, 10]);
        Hit whale = WithContext(Exact(3, 2.0, final: true), "the whale was", 4, 9);
        Hit ahab = WithContext(Exact(12, 1.5, final: false), "Captain Ahab said", 8, 12);
        Hit sea = WithContext(Unverified(14, 0.5, 1.0), "the sea", 4, 7);
        merge.Apply(0, Update(threshold: 1.0, done: false, whale));
        merge.Apply(1, Update(threshold: 1.0, done: false, ahab, sea));

        TopKUpdate update = merge.Current(0, first: true);

        Assert.Equal([3L, 12, 14], update.Hits.Select(h => h.InputId));
        Assert.Equal([whale.Text, ahab.Text, sea.Text], update.Hits.Select(h => h.Text));
    }

    private static Hit WithContext(Hit hit, string text, int start, int end)
    {
        hit.Text = new TextContext { DocumentName = "moby.txt", Window = (int)hit.InputId / 5, Position = (int)hit.InputId % 5, Token = text[start..end].ToLowerInvariant(), Text = text, TokenStart = start, TokenEnd = end, TextStart = 100 };
        return hit;
    }

    private static TopKUpdate Update(double threshold, bool done, params Hit[] hits)
    {
        var update = new TopKUpdate { Threshold = threshold, Done = done, Stats = new QueryStats { InputsInferred = 1 } };
        update.Hits.AddRange(hits);
        return update;
    }

    private static Hit Exact(long id, double score, bool final) => new() { InputId = id, Score = score, LowerBound = score, UpperBound = score, Final = final };

    private static Hit Unverified(long id, double lower, double upper) => new() { InputId = id, Score = double.NaN, LowerBound = lower, UpperBound = upper };
}
