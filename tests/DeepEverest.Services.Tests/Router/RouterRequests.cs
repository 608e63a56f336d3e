using DeepEverest.Contracts.V1;

namespace DeepEverest.Services.Tests.Router;

/// <summary>
/// Seeded random TopKSimilar / TopKHighest requests over <see cref="RouterFixture"/>'s layer: every
/// distance and aggregate, top_of_target (dataset and raw targets), explicit and rectangle groups,
/// weights, include_target, filters by ids, id range and label that cross the shards' boundaries, and every
/// strategy that answers from the index or the model.
/// </summary>
internal static class RouterRequests
{
    private const int Neurons = 2048;

    /// <summary>A request: exactly one of the two is set.</summary>
    public sealed record Request(TopKSimilarRequest? Similar, TopKHighestRequest? Highest)
    {
        public override string ToString() => Similar?.ToString() ?? Highest!.ToString();
    }

    public static IEnumerable<Request> Generate(int seed, int count, Func<long, Tensor> storedInput)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int k = new[] { 1, 5, 20, 50 }[random.Next(4)];
            var options = new QueryOptions
            {
                Strategy = random.Next(6) switch { 0 => Strategy.Nta, 1 => Strategy.ReprocessAll, _ => Strategy.Bounds },
                MinUpdateIntervalMs = 0,
            };
            long targetId = random.Next(RouterFixture.Inputs);
            if (random.Next(2) == 0)
            {
                var request = new TopKSimilarRequest
                {
                    Layer = RouterFixture.LayerRef(),
                    K = k,
                    Distance = (Distance)(1 + random.Next(3)),
                    Group = Group(random, allowTop: true),
                    Filter = Filter(random),
                    Options = options,
                };
                if (random.Next(3) == 0)
                {
                    // Weights in group order: a top_of_target group keeps its order on every shard.
                    request.Weights.AddRange(Enumerable.Range(0, GroupSize(request.Group)).Select(_ => (float)(1 + random.Next(4))));
                }

                if (random.Next(4) == 0)
                {
                    request.Target = new Target { StoredTensor = storedInput(targetId) };
                }
                else
                {
                    request.Target = new Target { InputId = targetId };
                    request.IncludeTarget = random.Next(2) == 0;
                }

                yield return new Request(request, null);
            }
            else
            {
                var request = new TopKHighestRequest
                {
                    Layer = RouterFixture.LayerRef(),
                    K = k,
                    Aggregate = (Aggregate)(1 + random.Next(3)),
                    Group = Group(random, allowTop: true),
                    Filter = Filter(random),
                    Options = options,
                };
                if (request.Group.SelectionCase == NeuronGroup.SelectionOneofCase.TopOfTarget)
                {
                    request.Target = new Target { InputId = targetId };
                }

                yield return new Request(null, request);
            }
        }
    }

    private static int GroupSize(NeuronGroup group) => group.SelectionCase switch
    {
        NeuronGroup.SelectionOneofCase.Neurons => group.Neurons.Neurons.Count,
        NeuronGroup.SelectionOneofCase.Rectangle => 16,
        _ => group.TopOfTarget,
    };

    private static NeuronGroup Group(Random random, bool allowTop)
    {
        switch (random.Next(allowTop ? 3 : 2))
        {
            case 0:
                var list = new NeuronList();
                list.Neurons.AddRange(Enumerable.Range(0, Neurons).OrderBy(_ => random.Next()).Take(1 + random.Next(12)).Select(j => new Neuron { Flat = j }));
                return new NeuronGroup { Neurons = list };
            case 1:
                // One channel of the [128, 4, 4] layer at every position ("rect:C,*,*").
                int channel = random.Next(128);
                var rectangle = new HyperRectangle();
                rectangle.Ranges.Add(new Contracts.V1.Range { Start = channel, End = channel + 1 });
                rectangle.Ranges.Add(new Contracts.V1.Range { OpenEnd = true });
                rectangle.Ranges.Add(new Contracts.V1.Range { OpenEnd = true });
                return new NeuronGroup { Rectangle = rectangle };
            default:
                return new NeuronGroup { TopOfTarget = new[] { 1, 3, 10 }[random.Next(3)] };
        }
    }

    private static Filter? Filter(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                var ids = new Filter();
                ids.Ids.AddRange(Enumerable.Range(0, 80).Select(_ => (long)random.Next(RouterFixture.Inputs)).Distinct());
                return ids;
            case 1:
                // From inside the first shard into the last.
                return new Filter { IdRange = new Contracts.V1.Range { Start = 100 + random.Next(150), End = 800 + random.Next(300) } };
            case 2:
                // Only the middle shard's ids: the others are left out.
                return new Filter { IdRange = new Contracts.V1.Range { Start = 320, End = 700 } };
            case 3:
                var labels = new Filter { IdRange = new Contracts.V1.Range { Start = 500, OpenEnd = true } };
                labels.Labels.AddRange([random.Next(10), random.Next(10)]);
                return labels;
            default:
                return null;
        }
    }
}
