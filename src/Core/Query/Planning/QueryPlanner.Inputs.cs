using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Activations;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Planning;

/// <summary>The rules on what a query reads: its target, its cost and the inputs it considers.</summary>
internal sealed partial class QueryPlanner
{
    /// <summary>
    /// Full-layer activations of a target: a dataset input in range, or a raw tensor of the
    /// dataset's input shape with finite values.
    /// </summary>
    public static float[] TargetActivations(LayerProbe probe, ActivationSource source, QueryTarget target, CancellationToken cancellationToken)
    {
        if (target.InputId is { } id)
        {
            if (id < 0 || id >= probe.Inputs)
            {
                throw DeepEverestException.Invalid($"target.input_id {id} is out of range: dataset '{probe.Dataset.Name}' has ids 0..{probe.Inputs - 1}.");
            }

            return source.TargetRow((int)id, cancellationToken);
        }

        if (target.Text is not null)
        {
            return source.InferText(target.Text, target.Token, cancellationToken);
        }

        float[] tensor = target.Tensor ?? throw DeepEverestException.Invalid("target is empty: set target.input_id, target.tensor, target.stored_tensor or target.text.");
        string field = target.StoredUnits ? "target.stored_tensor" : "target.tensor";
        int elements = StoreReader.InputElements(probe.Dataset);
        string expected = $"[{string.Join(", ", probe.Dataset.InputShape)}]";
        if (target.Shape is { } shape && !shape.AsSpan().SequenceEqual(probe.Dataset.InputShape.ToArray()))
        {
            throw DeepEverestException.Invalid(
                $"{field}.shape is [{string.Join(", ", shape)}]; inputs of dataset '{probe.Dataset.Name}' have shape {expected} (no batch axis).");
        }

        if (tensor.Length != elements)
        {
            throw DeepEverestException.Invalid(
                $"{field}.values has {tensor.Length} values; inputs of dataset '{probe.Dataset.Name}' have shape {expected} ({elements} values).");
        }

        int bad = ActivationChecks.FirstNonFinite(tensor);
        if (bad >= 0)
        {
            throw DeepEverestException.Invalid($"{field}.values[{bad}] is not finite (NaN or infinity).");
        }

        if (target.StoredUnits)
        {
            tensor = Datasets.InputPreprocessing.DecodeStoredValues(probe.Dataset, tensor, $"{field}.values");
        }

        return source.InferTensor(tensor, cancellationToken);
    }

    /// <summary>
    /// The cost being minimised. A distance needs the target's group activations finite (costs,
    /// bounds and the coarse bounds' widening assume finite terms); the weights were checked before.
    /// </summary>
    private static CostFunction Cost(TopKQuery query, int groupSize, float[] targetGroup)
    {
        int bad = ActivationChecks.FirstNonFinite(targetGroup);
        if (bad >= 0)
        {
            throw DeepEverestException.Invalid($"The target's activation of group neuron {bad} is {targetGroup[bad]}: distances to a non-finite target are undefined.");
        }

        return new CostFunction(query.Score, groupSize, targetGroup, query.Weights);
    }

    /// <summary>The ids a query considers, ascending: its filter applied, minus an excluded target.</summary>
    /// <param name="probe">The layer and dataset.</param>
    /// <param name="labels">The dataset's labels, or null.</param>
    /// <param name="filter">The filter.</param>
    /// <param name="documents">The item ranges [start, end) of the documents filter.documents keeps, or null without one.</param>
    /// <param name="excluded">A target id to leave out, or null.</param>
    private static int[] Filter(LayerProbe probe, int[]? labels, QueryFilter filter, List<(long Start, long End)>? documents, long? excluded)
    {
        int n = probe.Inputs;
        var keep = new bool[n];
        if (filter.SelectsNothing || documents is { Count: 0 })
        {
            // Keep stays all false; the labels are still checked below.
        }
        else if (filter.Ids.Length > 0)
        {
            foreach (long id in filter.Ids)
            {
                if (id < 0 || id >= n)
                {
                    throw DeepEverestException.Invalid($"filter.ids: id {id} is out of range: dataset '{probe.Dataset.Name}' has ids 0..{n - 1}.");
                }

                keep[id] = true;
            }
        }
        else
        {
            Array.Fill(keep, true);
        }

        if (filter.RangeStart is not null || filter.RangeEnd is not null)
        {
            long start = filter.RangeStart ?? 0;
            long end = filter.RangeEnd ?? n;
            if (start < 0 || end > n || start >= end)
            {
                throw DeepEverestException.Invalid($"filter.id_range [{start}, {end}) must be non-empty and within the ids of dataset '{probe.Dataset.Name}', [0, {n}).");
            }

            for (int i = 0; i < n; i++)
            {
                keep[i] &= i >= start && i < end;
            }
        }

        if (filter.Labels.Length > 0)
        {
            if (labels is null)
            {
                throw DeepEverestException.Invalid($"filter.labels: dataset '{probe.Dataset.Name}' has no labels to filter on.");
            }

            var known = probe.Dataset.DistinctLabels.ToHashSet();
            foreach (int label in filter.Labels)
            {
                if (!known.Contains(label) && !(filter.LabelsOfSource && label >= 0))
                {
                    throw DeepEverestException.Invalid($"filter.labels: label {label} does not occur in dataset '{probe.Dataset.Name}' (labels: {string.Join(", ", known.Order())}).");
                }
            }

            var wanted = filter.Labels.ToHashSet();
            for (int i = 0; i < n; i++)
            {
                keep[i] &= wanted.Contains(labels[i]);
            }
        }

        if (documents is { Count: > 0 })
        {
            var inDocuments = new bool[n];
            foreach ((long start, long end) in documents)
            {
                inDocuments.AsSpan((int)start, (int)(end - start)).Fill(true);
            }

            for (int i = 0; i < n; i++)
            {
                keep[i] &= inDocuments[i];
            }
        }

        if (excluded is { } x && x >= 0 && x < n)
        {
            keep[x] = false;
        }

        var allowed = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            if (keep[i])
            {
                allowed.Add(i);
            }
        }

        return [.. allowed];
    }
}
