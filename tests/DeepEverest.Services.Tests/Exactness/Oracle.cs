using DeepEverest.Contracts.V1;
using DeepEverest.Kernels;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>What a valid request must answer, computed by brute force over the reference activations.</summary>
/// <param name="Group">The resolved group, flat indices in group order.</param>
/// <param name="Considered">Inputs the query considers (after filters and the target's exclusion).</param>
/// <param name="Scores">Exact score of every considered input.</param>
/// <param name="Answer">The top k by (score, id): the exact answer, in rank order.</param>
/// <param name="Similar">Whether smaller scores rank first (distances).</param>
internal sealed record ExpectedAnswer(int[] Group, int[] Considered, Dictionary<int, double> Scores, (int Id, double Score)[] Answer, bool Similar);

/// <summary>
/// The brute-force reference of the differential test: resolves the group from the proto's
/// definitions (row-major rectangles, coordinates, the target's top m by activation then flat
/// index), applies the filters, scores every considered input by the proto's formulas (the kernels'
/// scalar <see cref="CostFunction"/>: double terms combined in group order) and sorts by (score, id).
/// </summary>
internal sealed class Oracle(RequestSpace space, ReferenceActivations reference)
{
    /// <summary>The expected answer of a valid request.</summary>
    public ExpectedAnswer Answer(DifferentialCase request)
    {
        bool similar = request.Similar is not null;
        LayerRef layerRef = similar ? request.Similar!.Layer : request.Highest!.Layer;
        SpaceLayer layer = space.Layers.Single(l => l.Name == layerRef.Layer);
        Target? target = similar ? request.Similar!.Target : request.Highest!.Target;
        NeuronGroup groupSpec = similar ? request.Similar!.Group : request.Highest!.Group;
        Filter filter = (similar ? request.Similar!.Filter : request.Highest!.Filter) ?? new Filter();
        int k = similar ? request.Similar!.K : request.Highest!.K;

        float[] rows = reference.Rows(layer.Name);
        int neurons = layer.Neurons;
        float[] targetRow = target is null ? [] : target.SourceCase == Target.SourceOneofCase.InputId
            ? rows.AsSpan((int)target.InputId * neurons, neurons).ToArray()
            : reference.Activations(layer.Name, [.. target.Tensor.Values]);
        int[] group = Resolve(groupSpec, layer.Shape, targetRow);

        ScoreKind kind = similar
            ? request.Similar!.Distance switch { Distance.L1 => ScoreKind.L1, Distance.Linf => ScoreKind.LInf, _ => ScoreKind.L2 }
            : request.Highest!.Aggregate switch { Aggregate.Mean => ScoreKind.Mean, Aggregate.L2Norm => ScoreKind.L2Norm, _ => ScoreKind.Sum };
        float[] weights = similar ? [.. request.Similar!.Weights] : [];
        float[] targetGroup = similar ? group.Select(j => targetRow[j]).ToArray() : [];
        var cost = new CostFunction(kind, group.Length, targetGroup, weights);

        long? excluded = similar && !request.Similar!.IncludeTarget && target?.SourceCase == Target.SourceOneofCase.InputId ? target.InputId : null;
        int[] considered = Considered(filter, excluded);
        var scored = new List<(double Cost, int Id)>(considered.Length);
        var scores = new Dictionary<int, double>(considered.Length);
        var activations = new float[group.Length];
        foreach (int i in considered)
        {
            for (int j = 0; j < group.Length; j++)
            {
                activations[j] = rows[(i * neurons) + group[j]];
            }

            double c = cost.Cost(activations);
            scored.Add((c, i));
            scores[i] = cost.ToScore(c);
        }

        scored.Sort((a, b) => a.Cost != b.Cost ? a.Cost.CompareTo(b.Cost) : a.Id.CompareTo(b.Id));
        (int, double)[] answer = scored.Take(k).Select(s => (s.Id, cost.ToScore(s.Cost))).ToArray();
        return new ExpectedAnswer(group, considered, scores, answer, similar);
    }

    /// <summary>Flat indices of a group, in group order.</summary>
    private static int[] Resolve(NeuronGroup group, long[] shape, float[] target)
    {
        switch (group.SelectionCase)
        {
            case NeuronGroup.SelectionOneofCase.Neurons:
                return group.Neurons.Neurons.Select(n => n.LocationCase == Neuron.LocationOneofCase.Flat ? (int)n.Flat : Flat(n.Coordinates.Values, shape)).ToArray();
            case NeuronGroup.SelectionOneofCase.Rectangle:
                {
                    var result = new List<int>();
                    var ranges = group.Rectangle.Ranges;
                    var index = new long[shape.Length];
                    void Walk(int d)
                    {
                        if (d == shape.Length)
                        {
                            result.Add(Flat(index, shape));
                            return;
                        }

                        for (long x = ranges[d].Start; x < ranges[d].End; x++)
                        {
                            index[d] = x;
                            Walk(d + 1);
                        }
                    }

                    Walk(0);
                    return [.. result];
                }

            default:
                return Enumerable.Range(0, target.Length)
                    .OrderByDescending(j => target[j]).ThenBy(j => j)
                    .Take(group.TopOfTarget).ToArray();
        }
    }

    private static int Flat(IReadOnlyList<long> coordinates, long[] shape)
    {
        long flat = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            flat = (flat * shape[d]) + coordinates[d];
        }

        return (int)flat;
    }

    private int[] Considered(Filter filter, long? excluded)
    {
        var labels = filter.Labels.ToHashSet();
        var ids = filter.Ids.ToHashSet();
        var result = new List<int>();
        for (int i = 0; i < space.Inputs; i++)
        {
            if ((labels.Count > 0 && !labels.Contains(space.Labels![i]))
                || (ids.Count > 0 && !ids.Contains(i))
                || (filter.IdRange is { } range && (i < range.Start || i >= range.End))
                || excluded == i)
            {
                continue;
            }

            result.Add(i);
        }

        return [.. result];
    }
}
