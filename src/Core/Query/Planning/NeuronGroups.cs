namespace DeepEverest.Core.Query.Planning;

/// <summary>Resolves a <see cref="GroupSpec"/> against a layer's shape into flat neuron indices.</summary>
public static class NeuronGroups
{
    /// <summary>
    /// Flat indices of the group, in the order given (explicit), row-major (rectangle), or by
    /// activation descending then index ascending (top of target).
    /// </summary>
    public static int[] Resolve(GroupSpec spec, IReadOnlyList<long> layerShape, ReadOnlySpan<float> targetActivations)
    {
        long neurons = layerShape.Aggregate(1L, (a, b) => a * b);
        int[] group = spec switch
        {
            GroupSpec.Explicit e => ResolveExplicit(e, layerShape, neurons),
            GroupSpec.Rectangle r => ResolveRectangle(r, layerShape),
            GroupSpec.TopOfTarget t => ResolveTop(t, targetActivations, neurons),
            _ => throw DeepEverestException.Invalid("group: unknown selection; set group.neurons, group.rectangle or group.top_of_target."),
        };
        if (group.Length == 0)
        {
            throw DeepEverestException.Invalid("group is empty: name at least one neuron.");
        }

        return group;
    }

    private static int[] ResolveExplicit(GroupSpec.Explicit spec, IReadOnlyList<long> shape, long neurons)
    {
        var result = new int[spec.Neurons.Count];
        var seen = new HashSet<int>();
        for (int i = 0; i < result.Length; i++)
        {
            long[] location = spec.Neurons[i];
            long flat;
            if (location.Length == 1 && shape.Count != 1)
            {
                flat = location[0];
            }
            else if (location.Length == shape.Count)
            {
                flat = 0;
                for (int d = 0; d < shape.Count; d++)
                {
                    if (location[d] < 0 || location[d] >= shape[d])
                    {
                        throw DeepEverestException.Invalid(
                            $"group.neurons[{i}]: coordinates ({string.Join(", ", location)}) are out of range for layer shape [{string.Join(", ", shape)}].");
                    }

                    flat = flat * shape[d] + location[d];
                }
            }
            else
            {
                throw DeepEverestException.Invalid(
                    $"group.neurons[{i}]: coordinates ({string.Join(", ", location)}) have {location.Length} values; the layer has {shape.Count} dimensions [{string.Join(", ", shape)}].");
            }

            if (flat < 0 || flat >= neurons)
            {
                throw DeepEverestException.Invalid($"group.neurons[{i}]: neuron {flat} is out of range: the layer has neurons 0..{neurons - 1}.");
            }

            if (!seen.Add((int)flat))
            {
                throw DeepEverestException.Invalid($"group.neurons[{i}]: neuron {flat} appears twice; a group lists distinct neurons.");
            }

            result[i] = (int)flat;
        }

        return result;
    }

    private static int[] ResolveRectangle(GroupSpec.Rectangle spec, IReadOnlyList<long> shape)
    {
        if (spec.Ranges.Count != shape.Count)
        {
            throw DeepEverestException.Invalid($"group.rectangle has {spec.Ranges.Count} ranges; the layer has {shape.Count} dimensions [{string.Join(", ", shape)}]: give one range per dimension.");
        }

        long count = 1;
        var starts = new long[shape.Count];
        var ends = new long[shape.Count];
        for (int d = 0; d < shape.Count; d++)
        {
            // An open end is the dimension's end: clients need not know the shape ("rect:5,*,*").
            (long start, long? openOrEnd) = spec.Ranges[d];
            long end = openOrEnd ?? shape[d];
            if (start < 0 || end > shape[d] || start >= end)
            {
                string given = openOrEnd is null ? $"[{start}, end of dimension = {shape[d]})" : $"[{start}, {end})";
                throw DeepEverestException.Invalid($"group.rectangle.ranges[{d}] {given} must be non-empty and within [0, {shape[d]}).");
            }

            starts[d] = start;
            ends[d] = end;
            count *= end - start;
        }

        if (count > QueryLimits.MaxGroupSize)
        {
            throw new DeepEverestException(ErrorKind.ResourceExhausted, $"group.rectangle holds {count} neurons; at most {QueryLimits.MaxGroupSize} are served.");
        }

        var result = new List<int>((int)count);
        var index = (long[])starts.Clone();
        while (true)
        {
            long flat = 0;
            for (int d = 0; d < shape.Count; d++)
            {
                flat = flat * shape[d] + index[d];
            }

            result.Add((int)flat);
            int dim = shape.Count - 1;
            while (dim >= 0 && ++index[dim] == ends[dim])
            {
                index[dim] = starts[dim];
                dim--;
            }

            if (dim < 0)
            {
                return [.. result];
            }
        }
    }

    private static int[] ResolveTop(GroupSpec.TopOfTarget spec, ReadOnlySpan<float> activations, long neurons)
    {
        if (spec.Count <= 0 || spec.Count > neurons)
        {
            throw DeepEverestException.Invalid($"group.top_of_target must be in 1..{neurons}, the layer's neuron count (got {spec.Count}).");
        }

        if (activations.IsEmpty)
        {
            throw DeepEverestException.Invalid("group.top_of_target needs a target: set target.input_id or target.tensor.");
        }

        // The m best by (activation descending, index ascending); float.CompareTo orders NaN lowest.
        // A heap of the m best so far, worst on top: O(n log m) instead of sorting every neuron
        // (200,704 at ResNet18's 56x56 stage).
        int m = spec.Count;
        float[] values = activations.ToArray();
        var heap = new PriorityQueue<int, int>(m + 1, Comparer<int>.Create((a, b) =>
        {
            int c = values[a].CompareTo(values[b]);
            return c != 0 ? c : b.CompareTo(a);
        }));
        for (int i = 0; i < values.Length; i++)
        {
            if (heap.Count < m)
            {
                heap.Enqueue(i, i);
            }
            else
            {
                int worst = heap.Peek();
                int c = values[i].CompareTo(values[worst]);
                if (c > 0 || (c == 0 && i < worst))
                {
                    heap.EnqueueDequeue(i, i);
                }
            }
        }

        int[] top = new int[heap.Count];
        for (int r = top.Length - 1; r >= 0; r--)
        {
            top[r] = heap.Dequeue();
        }

        return top;
    }
}
