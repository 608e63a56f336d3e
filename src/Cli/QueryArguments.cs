using System.Globalization;
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
    public static async Task<Target?> TargetAsync(CliSession session, string dataset, long? id, string? npy, CancellationToken cancellationToken)
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
        if (array.ElementType != 2)
        {
            throw new CliException($"{npy} must hold float32 values (the model's input, preprocessing applied).");
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
        var values = new float[array.Data.Length / 4];
        Buffer.BlockCopy(array.Data, 0, values, 0, array.Data.Length);
        tensor.Values.AddRange(values);
        return new Target { Tensor = tensor };
    }

    public static async Task<NeuronGroup> GroupAsync(CliSession session, LayerRef layer, string text, CancellationToken cancellationToken)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? text : text[..colon];
        string body = colon < 0 ? "" : text[(colon + 1)..];
        switch (kind)
        {
            case "top":
                return new NeuronGroup { TopOfTarget = ParseInt(body, text) };
            case "neurons":
                {
                    var list = new NeuronList();
                    list.Neurons.AddRange(Longs(body, text).Select(x => new Neuron { Flat = x }));
                    return new NeuronGroup { Neurons = list };
                }

            case "at":
                {
                    var list = new NeuronList();
                    foreach (string item in body.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        var coordinates = new Coordinates();
                        coordinates.Values.AddRange(item.Split('.').Select(x => (long)ParseInt(x, text)));
                        list.Neurons.Add(new Neuron { Coordinates = coordinates });
                    }

                    return new NeuronGroup { Neurons = list };
                }

            case "rect":
                {
                    string[] parts = body.Split(',', StringSplitOptions.TrimEntries);
                    long[] shape = [];
                    if (parts.Contains("*"))
                    {
                        ListLayersResponse layers = await session.Index.ListLayersAsync(new ListLayersRequest { Model = layer.Model }, cancellationToken: cancellationToken).ConfigureAwait(false);
                        shape = [.. (layers.Layers.FirstOrDefault(l => l.Name == layer.Layer) ?? throw new CliException($"model {layer.Model} has no layer {layer.Layer}.")).Shape];
                    }

                    var rectangle = new HyperRectangle();
                    for (int d = 0; d < parts.Length; d++)
                    {
                        string p = parts[d];
                        rectangle.Ranges.Add(p switch
                        {
                            "*" => new Contracts.V1.Range { Start = 0, End = d < shape.Length ? shape[d] : throw new CliException($"{text}: more dimensions than the layer has.") },
                            _ when p.Contains(':', StringComparison.Ordinal) => new Contracts.V1.Range { Start = ParseInt(p.Split(':')[0], text), End = ParseInt(p.Split(':')[1], text) },
                            _ => new Contracts.V1.Range { Start = ParseInt(p, text), End = ParseInt(p, text) + 1 },
                        });
                    }

                    return new NeuronGroup { Rectangle = rectangle };
                }

            default:
                throw new CliException($"'{text}' is not a group: use top:M, neurons:I,J,..., at:C.H.W;... or rect:R,R,...");
        }
    }

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
                throw new CliException($"--id-range '{range}' must be A:B.");
            }

            filter.IdRange = new Contracts.V1.Range { Start = ParseInt(ends[0], range), End = ParseInt(ends[1], range) };
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
