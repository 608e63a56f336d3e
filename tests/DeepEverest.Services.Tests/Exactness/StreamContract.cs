using DeepEverest.Contracts.V1;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>
/// Checks a whole TopKUpdate stream against the proto's contract and the brute-force answer; returns
/// the first violation, or null. The contract: the first update reports the resolved group (and
/// only the first); hits are a prefix of final hits then provisional ones; a final hit is the exact
/// answer's hit at its rank, with its exact score, and never changes; every interval contains the
/// input's true score and an exact score equals it; the threshold never gets worse; only the last
/// update is done, and its hits are the exact answer (ids, order, scores bit for bit), all final.
/// </summary>
internal static class StreamContract
{
    public static string? Violation(IReadOnlyList<TopKUpdate> updates, ExpectedAnswer expected, int[]? labels)
    {
        if (updates.Count == 0)
        {
            return "the stream is empty";
        }

        if (!updates[0].Group.Select(j => (int)j).SequenceEqual(expected.Group))
        {
            return $"first update's group [{string.Join(",", updates[0].Group.Take(20))}...] ({updates[0].Group.Count}) is not the resolved group [{string.Join(",", expected.Group.Take(20))}...] ({expected.Group.Length})";
        }

        var finals = new Dictionary<int, (long Id, double Score)>();
        double threshold = double.NaN;
        for (int u = 0; u < updates.Count; u++)
        {
            TopKUpdate update = updates[u];
            string at = $"update {u} of {updates.Count}";
            if (u > 0 && update.Group.Count > 0)
            {
                return $"{at} repeats the group (first update only)";
            }

            if (update.Done != (u == updates.Count - 1))
            {
                return $"{at}: done is {update.Done}; only the last update is done";
            }

            if (update.Stats.GroupSize != expected.Group.Length)
            {
                return $"{at}: stats.group_size {update.Stats.GroupSize}, the group has {expected.Group.Length}";
            }

            if (update.Stats.InputsTotal != expected.Considered.Length)
            {
                return $"{at}: stats.inputs_total {update.Stats.InputsTotal}, the filters leave {expected.Considered.Length}";
            }

            if (update.Hits.Count > expected.Answer.Length)
            {
                return $"{at}: {update.Hits.Count} hits, at most {expected.Answer.Length} exist";
            }

            // The threshold never gets worse: a distance lower bound rises, an aggregate upper bound falls.
            if (!double.IsNaN(update.Threshold))
            {
                if (!double.IsNaN(threshold) && (expected.Similar ? update.Threshold < threshold : update.Threshold > threshold))
                {
                    return $"{at}: threshold went from {threshold:R} to {update.Threshold:R}";
                }

                threshold = update.Threshold;
            }

            bool provisionalSeen = false;
            var ids = new HashSet<long>();
            for (int rank = 0; rank < update.Hits.Count; rank++)
            {
                Hit hit = update.Hits[rank];
                string where = $"{at}, rank {rank}, input {hit.InputId}";
                if (!ids.Add(hit.InputId))
                {
                    return $"{where}: listed twice";
                }

                if (!expected.Scores.TryGetValue((int)hit.InputId, out double truth))
                {
                    return $"{where}: not a considered input (filtered out, excluded target or out of range)";
                }

                int label = labels is null ? -1 : labels[hit.InputId];
                if (hit.Label != label)
                {
                    return $"{where}: label {hit.Label}, the dataset says {label}";
                }

                if (!(hit.LowerBound <= truth && truth <= hit.UpperBound))
                {
                    return $"{where}: interval [{hit.LowerBound:R}, {hit.UpperBound:R}] misses the true score {truth:R}";
                }

                if (!double.IsNaN(hit.Score) && !hit.Score.Equals(truth))
                {
                    return $"{where}: score {hit.Score:R}, the true score is {truth:R}";
                }

                if (hit.Final)
                {
                    if (provisionalSeen)
                    {
                        return $"{where}: a final hit after a provisional one";
                    }

                    if (rank >= expected.Answer.Length || expected.Answer[rank].Id != hit.InputId || !expected.Answer[rank].Score.Equals(hit.Score))
                    {
                        string want = rank < expected.Answer.Length ? $"({expected.Answer[rank].Id}, {expected.Answer[rank].Score:R})" : "nothing";
                        return $"{where}: final ({hit.InputId}, {hit.Score:R}) but the exact answer has {want} at this rank";
                    }

                    finals[rank] = (hit.InputId, hit.Score);
                }
                else
                {
                    provisionalSeen = true;
                }
            }

            foreach ((int rank, (long id, double score)) in finals)
            {
                if (rank >= update.Hits.Count || update.Hits[rank].InputId != id || !update.Hits[rank].Score.Equals(score) || !update.Hits[rank].Final)
                {
                    return $"{at}: final hit {id} at rank {rank} changed";
                }
            }
        }

        TopKUpdate last = updates[^1];
        if (last.Hits.Count != expected.Answer.Length)
        {
            return $"the answer has {last.Hits.Count} hits, brute force {expected.Answer.Length}";
        }

        for (int rank = 0; rank < last.Hits.Count; rank++)
        {
            Hit hit = last.Hits[rank];
            if (!hit.Final || hit.InputId != expected.Answer[rank].Id || !hit.Score.Equals(expected.Answer[rank].Score))
            {
                return $"rank {rank}: got ({hit.InputId}, {hit.Score:R}, final {hit.Final}), brute force ({expected.Answer[rank].Id}, {expected.Answer[rank].Score:R})";
            }
        }

        return null;
    }
}
