using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Models;

/// <summary>Registers ONNX models in the store: validated, their layers listed once, stored by hash.</summary>
public static class ModelCatalog
{
    /// <summary>
    /// Registers <paramref name="bytes"/> under <paramref name="name"/>, with
    /// <paramref name="preprocessing"/> composed in front when given (see
    /// <see cref="PreprocessingComposer"/>). Refuses invalid models (InvalidArgument; a problem
    /// with the preprocessing model says so), an existing name unless <paramref name="replace"/>
    /// (AlreadyExists), and replacing a model that indexes or materializations were built from
    /// (FailedPrecondition: they would silently describe another network). Replacing a model by
    /// the very same files is a no-op. Nothing is written on failure.
    /// </summary>
    public static ModelRecord Register(StoreWriter store, string name, byte[] bytes, bool replace, byte[]? preprocessing = null)
    {
        StoreLayout.ValidateName(name, "model");
        ModelRecord? existing = store.GetModel(name);
        if (existing is not null && !replace)
        {
            throw new DeepEverestException(ErrorKind.AlreadyExists, $"Model '{name}' already exists; pass replace to overwrite it.");
        }

        // Parsing, composing and listing layers first: nothing is written for a file that is not a usable model.
        OnnxModelFile source = OnnxModelFile.Load(bytes);
        OnnxModelFile model = source;
        string preprocessingSha = "";
        if (preprocessing is not null)
        {
            OnnxModelFile pre;
            try
            {
                pre = OnnxModelFile.Load(preprocessing);
            }
            catch (DeepEverestException e) when (e.Kind == ErrorKind.InvalidArgument)
            {
                throw new DeepEverestException(ErrorKind.InvalidArgument, "preprocessing: the preprocessing model is " + e.Message, e);
            }

            model = OnnxModelFile.Load(PreprocessingComposer.Compose(pre, source));
            preprocessingSha = pre.Sha256;
        }

        if (existing is not null)
        {
            if (existing.Sha256 == model.Sha256)
            {
                return existing;
            }

            int indexes = store.ListIndexes().Count(i => i.Model == name);
            int materializations = store.ListMaterializations().Count(m => m.Model == name);
            if (indexes + materializations > 0)
            {
                throw DeepEverestException.Precondition(
                    $"Model '{name}' has {indexes} index(es) and {materializations} materialization(s); delete them before replacing it.");
            }
        }

        IReadOnlyList<LayerDescriptor> layers = ModelInspector.ListLayers(model);
        var record = new ModelRecord
        {
            Name = name,
            File = model.Sha256 + ".onnx",
            Sha256 = model.Sha256,
            Bytes = model.Bytes.Length,
            InputName = model.InputName,
            CreatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            SourceSha256 = source.Sha256,
            PreprocessingSha256 = preprocessingSha,
        };
        record.InputShape.AddRange(model.InputShape);
        foreach (ModelInput input in model.Inputs)
        {
            var entry = new ModelInputEntry { Name = input.Name, ElementType = input.ElementType };
            entry.Shape.AddRange(input.Shape.Select(ToEntry));
            record.Inputs.Add(entry);
        }

        foreach (LayerDescriptor layer in layers)
        {
            var entry = new LayerEntry { Name = layer.Name, OpType = layer.OpType, Neurons = layer.Neurons, Order = layer.Order };
            entry.Shape.AddRange(layer.Shape);
            entry.TensorShape.AddRange(layer.TensorShape.Select(ToEntry));
            record.Layers.Add(entry);
        }

        // The service writes models/ itself; a link planted there must not redirect the write.
        if (new DirectoryInfo(Path.Combine(store.DataRoot, "models")).LinkTarget is not null)
        {
            throw DeepEverestException.Precondition("The models directory under the data root is a symbolic link; the operator must replace it with a directory.");
        }

        store.PutModel(record, model.Bytes.ToArray());
        return record;
    }

    private static TensorDimEntry ToEntry(TensorDim dim) => new() { Size = dim.Size, Symbol = dim.Symbol ?? string.Empty };
}
