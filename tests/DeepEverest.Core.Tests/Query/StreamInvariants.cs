using DeepEverest.Core.Query;

namespace DeepEverest.Core.Tests.Query;

/// <summary>The streaming contract of TopKUpdate, checked on a whole stream.</summary>
internal static class StreamInvariants
{
    public static void Check(IReadOnlyList<TopKUpdateInfo> updates, QueryType type)
    {
        Assert.NotEmpty(updates);
        // The first update comes from the index alone (or is empty), before any inference.
        Assert.Equal(0, updates[0].Stats.InputsInferred);
        Assert.Equal(0, updates[0].Stats.CacheHits);
        Assert.True(updates[^1].Done, "the last update must be done");
        Assert.All(updates.SkipLast(1), u => Assert.False(u.Done));
        Assert.All(updates[^1].Hits, h => Assert.True(h.Final));

        double previous = double.NaN;
        var finals = new Dictionary<int, int>();
        foreach (TopKUpdateInfo u in updates)
        {
            // The threshold never gets worse (NaN: nothing left unverified).
            if (!double.IsNaN(u.Threshold) && !double.IsNaN(previous))
            {
                Assert.True(type == QueryType.Similar ? u.Threshold >= previous : u.Threshold <= previous,
                    $"threshold went from {previous:R} to {u.Threshold:R}");
            }

            if (!double.IsNaN(u.Threshold))
            {
                previous = u.Threshold;
            }

            // A final hit never changes again: same id at the same rank in every later update.
            foreach (var (rank, id) in finals)
            {
                Assert.True(rank < u.Hits.Count && u.Hits[rank].InputId == id, $"final hit {id} at rank {rank} changed");
            }

            for (int rank = 0; rank < u.Hits.Count; rank++)
            {
                HitInfo h = u.Hits[rank];
                Assert.True(h.Lower <= h.Upper);
                if (h.Final)
                {
                    finals[rank] = h.InputId;
                    Assert.False(double.IsNaN(h.Score));
                }
            }
        }
    }
}
