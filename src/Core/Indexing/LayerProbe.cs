using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Indexing;

/// <summary>
/// A registered model, an imported dataset and one layer, checked against each other: what every
/// build and query starts from.
/// </summary>
public sealed record LayerProbe(ModelRecord Model, DatasetRecord Dataset, LayerEntry Layer)
{
    /// <summary>Neurons per input of the layer.</summary>
    public int Neurons => checked((int)Layer.Neurons);

    /// <summary>Number of inputs of the dataset (token items for a text dataset).</summary>
    public int Inputs => checked((int)Dataset.Count);

    /// <summary>True over a text dataset: items are tokens, computed a window at a time (docs/text.md).</summary>
    public bool IsText => Dataset.Text is not null;

    /// <summary>
    /// Resolves and checks names; NotFound / InvalidArgument failures say what is wrong. A model
    /// whose inputs are not one float tensor (a text transformer) over a dataset of arrays, a
    /// float model over a text dataset, or a model whose inputs the text dataset cannot feed fail
    /// with FailedPrecondition.
    /// </summary>
    public static LayerProbe Resolve(StoreReader store, string model, string dataset, string layer)
    {
        ModelRecord m = store.RequireModel(model);
        DatasetRecord d = store.RequireDataset(dataset);
        LayerEntry l = m.Layers.FirstOrDefault(x => x.Name == layer)
            ?? throw DeepEverestException.NotFound($"Model '{model}' has no layer '{layer}'; IndexService.ListLayers lists them.");

        if (d.Text is not null)
        {
            return ResolveText(m, d, l);
        }

        // Records written before ModelRecord.inputs always have input_name set.
        if (m.InputName.Length == 0)
        {
            throw DeepEverestException.Precondition($"Model '{model}': " + ActivationRunner.NotFedMessage(Describe(m)) + ".");
        }
        long modelElements = m.InputShape.Aggregate(1L, (a, b) => a * b);
        long datasetElements = d.InputShape.Aggregate(1L, (a, b) => a * b);
        if (modelElements != datasetElements)
        {
            throw DeepEverestException.Invalid(
                $"Dataset '{dataset}' has inputs of shape [{string.Join(", ", d.InputShape)}] but model '{model}' expects [{string.Join(", ", m.InputShape)}].");
        }

        if (d.Count == 0)
        {
            throw DeepEverestException.Invalid($"Dataset '{dataset}' is empty.");
        }

        return new LayerProbe(m, d, l);
    }

    /// <summary>Creates a runner of the model truncated at the layer, over a text dataset's windows.</summary>
    public TokenActivationRunner CreateTokenRunner(StoreReader store, int threads, int maxBatch)
    {
        OnnxModelFile file = OnnxModelFile.Load(store.ReadModelBytes(Model));
        return TokenActivationRunner.Create(file, Layer.Name, Dataset.Text, new ActivationRunnerOptions { IntraOpThreads = threads, MaxBatch = maxBatch });
    }

    /// <summary>Checks a model and layer against a text dataset: token layer, every input fed.</summary>
    private static LayerProbe ResolveText(ModelRecord m, DatasetRecord d, LayerEntry l)
    {
        if (m.InputName.Length > 0)
        {
            throw DeepEverestException.Precondition(
                $"Dataset '{d.Name}' is text (token items) but model '{m.Name}' takes one float tensor '{m.InputName}': a text dataset runs a text transformer whose inputs it feeds (docs/text.md).");
        }

        foreach (ModelInputEntry input in m.Inputs)
        {
            if (input.ElementType != "int64" || input.Shape.Count != 2 || !d.Text.Feeds.Any(f => f.Name == input.Name))
            {
                throw DeepEverestException.Precondition(
                    $"Text dataset '{d.Name}' cannot feed input {Describe(input)} of model '{m.Name}': it feeds int64 [batch, sequence] inputs named "
                    + string.Join(", ", d.Text.Feeds.Select(f => $"'{f.Name}'")) + " (docs/text.md).");
            }
        }

        if (l.TensorShape.Count < 3 || l.TensorShape[1].Symbol.Length == 0)
        {
            throw DeepEverestException.Invalid(
                $"Layer '{l.Name}' of model '{m.Name}' has no row per token ([batch, sequence, width]), so it cannot be indexed over text dataset '{d.Name}'; IndexService.ListLayers shows each layer's shape.");
        }

        return new LayerProbe(m, d, l);
    }

    private static string Describe(ModelRecord m) => string.Join(", ", m.Inputs.Select(Describe));

    private static string Describe(ModelInputEntry i) =>
        $"{i.Name} ({i.ElementType} [{string.Join(", ", i.Shape.Select(d => d.Symbol.Length > 0 ? d.Symbol : d.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)))}])";

    /// <summary>Creates an ONNX Runtime runner of the model truncated at the layer.</summary>
    public ActivationRunner CreateRunner(StoreReader store, int threads, int maxBatch)
    {
        OnnxModelFile file = OnnxModelFile.Load(store.ReadModelBytes(Model));
        return ActivationRunner.Create(file, Layer.Name, new ActivationRunnerOptions { IntraOpThreads = threads, MaxBatch = maxBatch });
    }
}
