using System.Globalization;
using DeepEverest.Contracts;
using DeepEverest.Contracts.V1;
using DeepEverest.Core.Datasets;

namespace DeepEverest.Cli;

/// <summary>Turns the query commands' option strings into request messages.</summary>
internal static class QueryArguments
{
    /// <summary>
    /// The target the options name. A .npy target keeps its shape, except that a leading batch
    /// axis of 1 is dropped when the rest is the dataset's input shape (the service requires the
    /// exact input shape).
    /// </summary>
    public static async Task<Target?> TargetAsync(CliSession session, string dataset, long? id, string? npy, bool stored, CancellationToken cancellationToken)
    {
        if (id is not null && npy is not null)
        {
            throw new CliException("give either --target or --target-npy, not both.");
        }

        if (id is { } inputId)
        {
            return new Target { InputId = inputId };
        }

        if (npy is null)
        {
            return null;
        }

        RawArray array = RawArray.Read(npy);
        bool bytes = array.ElementType == 1 && stored;
        if (array.ElementType != 2 && !bytes)
        {
            throw new CliException(stored
                ? $"{npy} must hold uint8 or float32 values (the dataset's stored units)."
                : $"{npy} must hold float32 values (the model's input, preprocessing applied; --target-units stored for the dataset's units).");
        }

        long[] shape = array.Shape;
        if (shape.Length > 1 && shape[0] == 1)
        {
            ListDatasetsResponse datasets = await session.DatasetsAsync(null, cancellationToken).ConfigureAwait(false);
            DatasetInfo? info = datasets.Datasets.FirstOrDefault(d => d.Name == dataset);
            if (info is not null && shape.AsSpan(1).SequenceEqual(info.InputShape.ToArray()))
            {
                shape = shape[1..];
            }
        }

        var tensor = new Tensor();
        tensor.Shape.AddRange(shape);
        float[] values;
        if (bytes)
        {
            values = [.. array.Data.Select(b => (float)b)];
        }
        else
        {
            values = new float[array.Data.Length / 4];
            Buffer.BlockCopy(array.Data, 0, values, 0, array.Data.Length);
        }

        tensor.Values.AddRange(values);
        return stored ? new Target { StoredTensor = tensor } : new Target { Tensor = tensor };
    }

    /// <summary>
    /// A --target-text target (with --target-token, default 0) instead of <paramref name="other"/>,
    /// the target the other options name (at most one of them may be given).
    /// </summary>
    public static Target? TextTarget(Target? other, string? text, int? token)
    {
        if (text is null)
        {
            return token is null ? other : throw new CliException("--target-token applies to --target-text: give the text too.");
        }

        if (other is not null)
        {
            throw new CliException("give one target: --target, --target-npy or --target-text.");
        }

        return new Target { Text = new TextTarget { Text = text, Token = token ?? 0 } };
    }

    /// <summary>The document matches of --where options, each KEY=V1,V2 (values split at commas).</summary>
    public static IEnumerable<MetadataMatch> Documents(string[]? where)
    {
        foreach (string entry in where ?? [])
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--where '{entry}' must be KEY=VALUE or KEY=V1,V2, e.g. party=d.");
            }

            var match = new MetadataMatch { Key = entry[..equals].Trim() };
            match.Values.AddRange(entry[(equals + 1)..].Split(',').Select(v => v.Trim()));
            yield return match;
        }
    }

    /// <summary>Whether a --target-units option names the dataset's stored units (else the model's input).</summary>
    public static bool StoredUnits(string text) => text.ToLowerInvariant() switch
    {
        "model" => false,
        "stored" => true,
        _ => throw new CliException($"unknown --target-units '{text}': use model or stored."),
    };

    /// <summary>
    /// The group a --group option names, in the syntax every front end shares
    /// (<see cref="GroupSyntax"/>): <c>rect:5,*,*</c> goes out as open ranges, so no shape lookup.
    /// </summary>
    public static NeuronGroup Group(string text) =>
        GroupSyntax.TryParse(text, out NeuronGroup? group, out string? error) ? group! : throw new CliException(error!);

    public static Filter Filter(string? labels, string? ids, string? range)
    {
        var filter = new Filter();
        filter.Labels.AddRange(Longs(labels ?? "", "--labels").Select(x => (int)x));
        filter.Ids.AddRange(Longs(ids ?? "", "--ids"));
        if (!string.IsNullOrEmpty(range))
        {
            string[] ends = range.Split(':');
            if (ends.Length != 2)
            {
                throw new CliException($"--id-range '{range}' must be A:B, or A: for every id from A.");
            }

            // "A:" is open-ended: the service takes the dataset's input count, the client need not.
            filter.IdRange = ends[1].Trim().Length == 0
                ? new Contracts.V1.Range { Start = ParseInt(ends[0], range), OpenEnd = true }
                : new Contracts.V1.Range { Start = ParseInt(ends[0], range), End = ParseInt(ends[1], range) };
        }

        return filter;
    }

    public static Strategy Strategy(string text) => text.ToLowerInvariant() switch
    {
        "bounds" => Contracts.V1.Strategy.Bounds,
        "nta" => Contracts.V1.Strategy.Nta,
        "reprocess" or "reprocess-all" => Contracts.V1.Strategy.ReprocessAll,
        "materialized" or "preprocess" => Contracts.V1.Strategy.Materialized,
        _ => throw new CliException($"unknown strategy '{text}': use bounds, nta, reprocess or materialized."),
    };

    public static Distance Distance(string text) => text.ToLowerInvariant() switch
    {
        "l2" => Contracts.V1.Distance.L2,
        "l1" => Contracts.V1.Distance.L1,
        "linf" => Contracts.V1.Distance.Linf,
        _ => throw new CliException($"unknown distance '{text}': use l2, l1 or linf."),
    };

    public static Aggregate Aggregate(string text) => text.ToLowerInvariant() switch
    {
        "sum" => Contracts.V1.Aggregate.Sum,
        "mean" => Contracts.V1.Aggregate.Mean,
        "l2" or "l2norm" => Contracts.V1.Aggregate.L2Norm,
        _ => throw new CliException($"unknown aggregate '{text}': use sum, mean or l2 (only aggregates monotone in every activation are exact)."),
    };

    public static IEnumerable<float> Floats(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Split(',', StringSplitOptions.TrimEntries).Select(x =>
            float.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new CliException($"'{x}' is not a number."));

    public static string Coordinates(long flat, IReadOnlyList<long> shape)
    {
        var c = new long[shape.Count];
        for (int d = shape.Count - 1; d >= 0; d--)
        {
            c[d] = flat % shape[d];
            flat /= shape[d];
        }

        return "(" + string.Join(", ", c) + ")";
    }

    private static IEnumerable<long> Longs(string text, string what) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => (long)ParseInt(x, what));

    private static int ParseInt(string text, string what) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : throw new CliException($"'{text}' in {what} is not an integer.");
}
