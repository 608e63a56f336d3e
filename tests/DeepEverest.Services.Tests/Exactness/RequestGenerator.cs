using DeepEverest.Contracts.V1;
using Grpc.Core;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>A drawn request: exactly one of the two, and the status it must fail with, if any.</summary>
/// <param name="Similar">A TopKSimilar request.</param>
/// <param name="Highest">A TopKHighest request.</param>
/// <param name="ExpectedError">The status a deliberately invalid request must get; null for a valid one.</param>
internal sealed record DifferentialCase(TopKSimilarRequest? Similar, TopKHighestRequest? Highest, StatusCode? ExpectedError);

/// <summary>
/// Draws requests over every field of TopKSimilarRequest and TopKHighestRequest and their
/// combinations, from one seed: layer (with and without an index, with and without channel
/// summaries), group kind (top of target, explicit flat and by coordinates, partial and
/// whole-dimension rectangles, whole channels, whole channels mixed with other neurons), distance
/// and aggregate (unspecified included), weights (zeros included), target by id and raw tensor,
/// include_target, every filter and their combinations, k from 1 to above the filtered count,
/// every strategy, batch sizes, fixed batches, the cache, update coalescing; and a few invalid
/// requests whose status is known. Deterministic: the same seed gives the same requests.
/// </summary>
internal sealed class RequestGenerator(RequestSpace space, Func<int, float[]> modelInput, int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>Draws the next request.</summary>
    public DifferentialCase Next()
    {
        bool similar = _random.Next(2) == 0;
        SpaceLayer layer = space.Layers[_random.Next(space.Layers.Count)];
        var layerRef = new LayerRef { Layer = layer.Name };
        if (!space.OnlyOne || _random.Next(3) > 0)
        {
            layerRef.Model = space.Model;
            layerRef.Dataset = space.Dataset;
        }

        Target? target = similar || _random.Next(2) == 0 ? DrawTarget() : null;
        (NeuronGroup group, int groupSize) = DrawGroup(layer, target is not null);
        Filter filter = DrawFilter();
        QueryOptions options = DrawOptions(layer);
        if (space.Inputs > space.ScanLimit && ScansWhole(layer, options.Strategy))
        {
            // Keep the long run's scans bounded: AND an id range of at most ScanLimit inputs.
            int length = space.ScanLimit;
            int start = _random.Next(space.Inputs - length + 1);
            filter.IdRange = new Contracts.V1.Range { Start = start, End = start + length };
            filter.Ids.Clear();
        }

        int k = DrawK(filter);
        if (similar)
        {
            var request = new TopKSimilarRequest
            {
                Layer = layerRef,
                Target = target,
                Group = group,
                K = k,
                Distance = (Distance)_random.Next(4),
                IncludeTarget = target!.SourceCase == Target.SourceOneofCase.InputId && _random.Next(2) == 0,
                Filter = filter,
                Options = options,
            };
            request.Weights.AddRange(DrawWeights(groupSize));
            return Invalidate(new DifferentialCase(request, null, null), layer);
        }

        var highest = new TopKHighestRequest
        {
            Layer = layerRef,
            Target = target,
            Group = group,
            K = k,
            Aggregate = (Aggregate)_random.Next(4),
            Filter = filter,
            Options = options,
        };
        return Invalidate(new DifferentialCase(null, highest, null), layer);
    }

    private static bool ScansWhole(SpaceLayer layer, Strategy strategy) =>
        !layer.Indexed || strategy is Strategy.Nta or Strategy.ReprocessAll or Strategy.Materialized;

    private Target DrawTarget()
    {
        if (_random.Next(4) > 0)
        {
            return new Target { InputId = _random.Next(space.Inputs) };
        }

        // An input that is not in the dataset: a blend of two of its inputs.
        float[] a = modelInput(_random.Next(space.Inputs));
        float[] b = modelInput(_random.Next(space.Inputs));
        float w = (float)Math.Round(0.2 + (0.6 * _random.NextDouble()), 2);
        var tensor = new Tensor();
        tensor.Values.AddRange(a.Select((x, i) => (w * x) + ((1 - w) * b[i])));
        tensor.Shape.AddRange(space.InputShape);
        return new Target { Tensor = tensor };
    }

    private (NeuronGroup Group, int Size) DrawGroup(SpaceLayer layer, bool hasTarget)
    {
        long[] shape = layer.Shape;
        int neurons = layer.Neurons;
        // 0-1 explicit, 2 partial rectangle, 3 and 6 whole channels, 4 bands, 5 a channel in a list, 7 top of target.
        int choice = _random.Next(hasTarget ? 8 : 7);
        switch (choice)
        {
            case 0:
            case 1:
                {
                    // Explicit neurons by flat index (0) or coordinates (1), in a random order.
                    int count = new[] { 1, 2, 3, 8, 40 }[_random.Next(5)];
                    var list = new NeuronList();
                    foreach (int j in Distinct(count, neurons))
                    {
                        list.Neurons.Add(choice == 0 ? new Neuron { Flat = j } : new Neuron { Coordinates = Coordinates(j, shape) });
                    }

                    return (new NeuronGroup { Neurons = list }, list.Neurons.Count);
                }

            case 2:
                {
                    // A partial rectangle: a random sub-range of every dimension.
                    var rectangle = new HyperRectangle();
                    int size = 1;
                    foreach (long extent in shape)
                    {
                        long width = 1 + _random.Next((int)Math.Min(extent, shape.Length == 1 ? 24 : 4));
                        long start = _random.NextInt64(extent - width + 1);
                        rectangle.Ranges.Add(new Contracts.V1.Range { Start = start, End = start + width });
                        size *= (int)width;
                    }

                    return (new NeuronGroup { Rectangle = rectangle }, size);
                }

            case 3:
            case 4:
            case 6:
                {
                    // Whole dimensions: whole channels (3, 6) or bands of whole rows of 1-2 channels (4):
                    // the top or bottom half (a summary segment of banded layers) or any rows.
                    var rectangle = new HyperRectangle();
                    long channels = choice != 4 ? 1 + _random.Next(3) : 1 + _random.Next(2);
                    channels = Math.Min(channels, shape[0]);
                    long c = _random.NextInt64(shape[0] - channels + 1);
                    rectangle.Ranges.Add(new Contracts.V1.Range { Start = c, End = c + channels });
                    int size = (int)channels;
                    for (int d = 1; d < shape.Length; d++)
                    {
                        long start = 0;
                        long end = shape[d];
                        if (choice == 4 && d == 1 && shape[d] > 1)
                        {
                            switch (_random.Next(3))
                            {
                                case 0:
                                    end = shape[d] / 2;
                                    break;
                                case 1:
                                    start = shape[d] / 2;
                                    break;
                                default:
                                    start = _random.NextInt64(shape[d] / 2);
                                    end = start + 1 + _random.NextInt64(shape[d] - start);
                                    break;
                            }
                        }

                        rectangle.Ranges.Add(new Contracts.V1.Range { Start = start, End = end });
                        size *= (int)(end - start);
                    }

                    return (new NeuronGroup { Rectangle = rectangle }, size);
                }

            case 5:
                {
                    // A whole channel as an explicit list, mixed with neurons of other channels, shuffled.
                    int channelSize = shape.Length == 1 ? Math.Min(16, neurons) : neurons / (int)shape[0];
                    int channel = _random.Next(neurons / channelSize);
                    var members = Enumerable.Range(channel * channelSize, channelSize).ToList();
                    members.AddRange(Distinct(3, neurons).Where(j => j / channelSize != channel));
                    var list = new NeuronList();
                    foreach (int j in members.OrderBy(_ => _random.Next()))
                    {
                        list.Neurons.Add(_random.Next(2) == 0 ? new Neuron { Flat = j } : new Neuron { Coordinates = Coordinates(j, shape) });
                    }

                    return (new NeuronGroup { Neurons = list }, list.Neurons.Count);
                }

            default:
                {
                    // The target's top m (7).
                    int m = new[] { 1, 2, 3, 5, 10, 30, 100 }[_random.Next(7)];
                    m = Math.Min(m, neurons);
                    return (new NeuronGroup { TopOfTarget = m }, m);
                }
        }
    }

    private IEnumerable<int> Distinct(int count, int neurons)
    {
        var seen = new HashSet<int>();
        while (seen.Count < Math.Min(count, neurons))
        {
            int j = _random.Next(neurons);
            if (seen.Add(j))
            {
                yield return j;
            }
        }
    }

    private static Coordinates Coordinates(int flat, long[] shape)
    {
        var values = new long[shape.Length];
        long rest = flat;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            values[d] = rest % shape[d];
            rest /= shape[d];
        }

        var coordinates = new Coordinates();
        coordinates.Values.AddRange(values);
        return coordinates;
    }

    private Filter DrawFilter()
    {
        var filter = new Filter();
        int n = space.Inputs;
        if (space.DistinctLabels.Length > 0 && _random.Next(4) == 0)
        {
            int[] labels = space.DistinctLabels;
            filter.Labels.AddRange(Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => labels[_random.Next(labels.Length)]));
        }

        if (_random.Next(5) == 0)
        {
            int count = new[] { 1, 5, 40, 300 }[_random.Next(4)];
            filter.Ids.AddRange(Enumerable.Range(0, count).Select(_ => (long)_random.Next(n)));
        }

        if (_random.Next(4) == 0)
        {
            int start = _random.Next(n);
            int end = start + 1 + _random.Next(Math.Min(n - start, 1 + _random.Next(n)));
            filter.IdRange = new Contracts.V1.Range { Start = start, End = end };
        }

        return filter;
    }

    private QueryOptions DrawOptions(SpaceLayer layer)
    {
        Strategy[] strategies = layer.Materialized
            ? [Strategy.Unspecified, Strategy.Bounds, Strategy.Bounds, Strategy.Nta, Strategy.ReprocessAll, Strategy.Materialized]
            : [Strategy.Unspecified, Strategy.Bounds, Strategy.Bounds, Strategy.Nta, Strategy.ReprocessAll];
        var options = new QueryOptions
        {
            Strategy = strategies[_random.Next(strategies.Length)],
            BatchSize = new[] { 0, 0, 1, 3, 17, 64, 500, 4096 }[_random.Next(8)],
            NoCache = _random.Next(2) == 0,
            FixedBatches = _random.Next(4) == 0,
        };
        int interval = _random.Next(3);
        if (interval < 2)
        {
            options.MinUpdateIntervalMs = interval;
        }

        return options;
    }

    private int DrawK(Filter filter)
    {
        int draw = _random.Next(6);
        return draw switch
        {
            0 => 1,
            1 or 2 => 2 + _random.Next(19),
            3 => 50 + _random.Next(100),
            // Above the filtered count (often): the answer is every considered input. On a large
            // dataset only where a filter leaves few inputs (a k of 10,000 verifies 10,000 inputs).
            4 => Math.Min(AtMostConsidered(filter) + 1 + _random.Next(10), 10_000),
            _ => 5,
        };
    }

    /// <summary>An upper bound of the inputs a filter leaves (the dataset's size on a small one).</summary>
    private int AtMostConsidered(Filter filter)
    {
        if (space.Inputs <= space.ScanLimit)
        {
            return space.Inputs;
        }

        long most = space.Inputs;
        if (filter.Ids.Count > 0)
        {
            most = Math.Min(most, filter.Ids.Distinct().Count());
        }

        if (filter.IdRange is { } range)
        {
            most = Math.Min(most, range.End - range.Start);
        }

        return (int)Math.Min(most, space.ScanLimit);
    }

    private float[] DrawWeights(int size)
    {
        switch (_random.Next(6))
        {
            case 0:
                return Enumerable.Repeat((float)Math.Round(0.25 + _random.NextDouble(), 2), size).ToArray();
            case 1:
                {
                    // Some zeros, never all.
                    float[] weights = Enumerable.Range(0, size).Select(_ => _random.Next(3) == 0 ? 0f : (float)Math.Round(_random.NextDouble() * 2, 3)).ToArray();
                    weights[_random.Next(size)] = 1.5f;
                    return weights;
                }

            default:
                return [];
        }
    }

    /// <summary>Turns about one request in twenty into an invalid one whose status is known.</summary>
    private DifferentialCase Invalidate(DifferentialCase drawn, SpaceLayer layer)
    {
        if (_random.Next(20) != 0)
        {
            return drawn;
        }

        int kind = _random.Next(5);
        if (drawn.Similar is { } s)
        {
            switch (kind)
            {
                case 0:
                    s.K = 0;
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 1 when s.Target.SourceCase == Target.SourceOneofCase.Tensor:
                    s.IncludeTarget = true;
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 2:
                    s.Weights.Clear();
                    s.Weights.Add(0f);
                    s.Weights.Add(0f);
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 3:
                    s.Filter.IdRange = new Contracts.V1.Range { Start = space.Inputs, End = space.Inputs + 1 };
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 4 when !layer.Materialized:
                    s.Options.Strategy = Strategy.Materialized;
                    return drawn with { ExpectedError = StatusCode.FailedPrecondition };
            }
        }
        else if (drawn.Highest is { } h)
        {
            switch (kind)
            {
                case 0:
                    h.K = -1;
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 1:
                    h.Filter.Ids.Add(space.Inputs + 3);
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 2 when h.Group.SelectionCase == NeuronGroup.SelectionOneofCase.TopOfTarget:
                    h.Target = null;
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 3:
                    h.Options.BatchSize = 5000;
                    return drawn with { ExpectedError = StatusCode.InvalidArgument };
                case 4 when !layer.Materialized:
                    h.Options.Strategy = Strategy.Materialized;
                    return drawn with { ExpectedError = StatusCode.FailedPrecondition };
            }
        }

        return drawn;
    }
}
