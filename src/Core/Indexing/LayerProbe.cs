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

    /// <summary>Number of inputs of the dataset.</summary>
    public int Inputs => checked((int)Dataset.Count);

    /// <summary>
    /// Resolves and checks names; NotFound / InvalidArgument failures say what is wrong, and a model
    /// whose inputs are not one float tensor (a text transformer) fails with FailedPrecondition.
    /// </summary>
    public static LayerProbe Resolve(StoreReader store, string model, string dataset, string layer)
    {
        ModelRecord m = store.RequireModel(model);
        DatasetRecord d = store.RequireDataset(dataset);
        LayerEntry l = m.Layers.FirstOrDefault(x => x.Name == layer)
            ?? throw DeepEverestException.NotFound($"Model '{model}' has no layer '{layer}'; IndexService.ListLayers lists them.");

        // Records written before ModelRecord.inputs always have input_name set.
        if (m.InputName.Length == 0)
        {
            string inputs = string.Join(", ", m.Inputs.Select(i => $"{i.Name} ({i.ElementType} [{string.Join(", ", i.Shape.Select(d => d.Symbol.Length > 0 ? d.Symbol : d.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)))}])"));
            throw DeepEverestException.Precondition($"Model '{model}': " + ActivationRunner.NotFedMessage(inputs) + ".");
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

    /// <summary>Creates an ONNX Runtime runner of the model truncated at the layer.</summary>
    public ActivationRunner CreateRunner(StoreReader store, int threads, int maxBatch)
    {
        OnnxModelFile file = OnnxModelFile.Load(store.ReadModelBytes(Model));
        return ActivationRunner.Create(file, Layer.Name, new ActivationRunnerOptions { IntraOpThreads = threads, MaxBatch = maxBatch });
    }
}
