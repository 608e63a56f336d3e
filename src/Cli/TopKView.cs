using System.Globalization;
using DeepEverest.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>
/// Shows a stream of <see cref="TopKUpdate"/>: with --json one object per line; on a terminal a
/// table that refines live (final hits in bold); otherwise a line per update and the final table.
/// </summary>
internal static class TopKView
{
    public static async Task ShowAsync(CliSession session, IAsyncStreamReader<TopKUpdate> stream, bool similar, IReadOnlyDictionary<int, string> labelNames, CancellationToken cancellationToken)
    {
        if (session.Json)
        {
            await foreach (TopKUpdate update in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                session.WriteJson(update);
            }

            return;
        }

        TopKUpdate? last = null;
        string note = "";
        int count = 0;
        if (session.Console.Ansi.Profile.Capabilities.Interactive)
        {
            await session.Console.Ansi.Live(new Markup("waiting for the first update...")).StartAsync(async live =>
            {
                await foreach (TopKUpdate update in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    count++;
                    last = update;
                    live.UpdateTarget(Render(update, similar, count, labelNames));
                }
            }).ConfigureAwait(false);
        }
        else
        {
            await foreach (TopKUpdate update in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                count++;
                last = update;
                // A note comes on the first and again on the last update: show it once.
                if (!string.IsNullOrEmpty(update.Message) && update.Message != note)
                {
                    note = update.Message;
                    session.Console.Out.WriteLine("note: " + update.Message);
                }

                session.Console.Out.WriteLine(StatusLine(update, similar, count));
            }

            if (last is not null)
            {
                session.Console.Ansi.Write(HitTable(last, similar, labelNames));
            }
        }

        if (last is { Done: false, Stats.ShardsMissing.Count: > 0 })
        {
            // Asked for with --allow-partial: an answer, but not the exact one.
            session.Console.Out.WriteLine($"partial answer, not exact: the exact top {last.Hits.Count} of the shards that answered; missing: {string.Join("; ", last.Stats.ShardsMissing)}");
            return;
        }

        if (last is null || !last.Done)
        {
            throw new CliException("the stream ended before the exact answer.");
        }
    }

    private static Rows Render(TopKUpdate update, bool similar, int count, IReadOnlyDictionary<int, string> labelNames) =>
        new(new Markup(Markup.Escape(StatusLine(update, similar, count))), HitTable(update, similar, labelNames));

    private static string StatusLine(TopKUpdate u, bool similar, int count)
    {
        int finals = u.Hits.Count(h => h.Final);
        string threshold = double.IsNaN(u.Threshold) ? "-" : u.Threshold.ToString("G6", CultureInfo.InvariantCulture);
        QueryStats s = u.Stats;
        return Format.Invariant(
            $"update {count}{(u.Done ? " (done)" : "")}: {finals}/{u.Hits.Count} final, {(similar ? "lower bound left" : "upper bound left")} {threshold}, inferred {s.InputsInferred}, cache hits {s.CacheHits}, exact from index {s.InputsExactFromIndex}, pruned {s.InputsPruned} of {s.InputsTotal}, {s.ElapsedMs} ms [{s.Strategy}]");
    }

    private static Table HitTable(TopKUpdate u, bool similar, IReadOnlyDictionary<int, string> labelNames)
    {
        if (u.Hits.Any(h => h.Text is not null))
        {
            return TextHitTable(u, similar);
        }

        Table table = Tables.Create("rank", "input", "label", similar ? "distance" : "score", "interval", "final");
        for (int i = 0; i < u.Hits.Count; i++)
        {
            Hit h = u.Hits[i];
            string score = double.IsNaN(h.Score) ? "?" : h.Score.ToString("G7", CultureInfo.InvariantCulture);
            string interval = h.LowerBound == h.UpperBound ? "" : Format.Invariant($"[{h.LowerBound:G5}, {h.UpperBound:G5}]");
            table.AddPlainRow((i + 1).ToString(CultureInfo.InvariantCulture), h.InputId.ToString(CultureInfo.InvariantCulture),
                CliSession.LabelText(h.Label, labelNames), score, interval, h.Final ? "yes" : "");
        }

        return table;
    }

    /// <summary>Hits over a text dataset: each token item as its context, the token marked.</summary>
    private static Table TextHitTable(TopKUpdate u, bool similar)
    {
        Table table = Tables.Create("rank", "item", "context", similar ? "distance" : "score", "interval", "final");
        for (int i = 0; i < u.Hits.Count; i++)
        {
            Hit h = u.Hits[i];
            string score = double.IsNaN(h.Score) ? "?" : h.Score.ToString("G7", CultureInfo.InvariantCulture);
            string interval = h.LowerBound == h.UpperBound ? "" : Format.Invariant($"[{h.LowerBound:G5}, {h.UpperBound:G5}]");
            var context = new Markup(h.Text is null ? "" : TextContextView.Markup(h.Text, TextContextView.TableReach));
            table.AddRow(
                new Text((i + 1).ToString(CultureInfo.InvariantCulture)),
                new Text(h.InputId.ToString(CultureInfo.InvariantCulture)),
                context,
                new Text(score),
                new Text(interval),
                new Text(h.Final ? "yes" : ""));
        }

        return table;
    }
}
