using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Models;

/// <summary>Registers ONNX models in the store: validated, their layers listed once, stored by hash.</summary>
public static class ModelCatalog
{
    /// <summary>
    /// Registers <paramref name="bytes"/> under <paramref name="name"/>. Refuses invalid models
    /// (InvalidArgument), an existing name unless <paramref name="replace"/> (AlreadyExists), and
    /// replacing a model that still has indexes (FailedPrecondition). Nothing is written on failure.
    /// </summary>
    public static ModelRecord Register(DeepEverestStore store, string name, byte[] bytes, bool replace)
    {
        StoreLayout.ValidateName(name, "model");
        OnnxModelFile model = OnnxModelFile.Load(bytes);
        ModelRecord? existing = store.GetModel(name);
        if (existing is not null)
        {
            if (existing.Sha256 == model.Sha256)
            {
                return existing; // the same file again: nothing to do
            }

            if (!replace)
            {
                throw new DeepEverestException(ErrorKind.AlreadyExists, $"Model '{name}' already exists; pass replace to overwrite it.");
            }

            if (store.ListIndexes().Any(i => i.Model == name))
            {
                throw DeepEverestException.Precondition($"Model '{name}' has indexes; delete them before replacing it.");
            }
        }

        IReadOnlyList<LayerDescriptor> layers = ModelInspector.ListLayers(model);
        var record = new ModelRecord
        {
            Name = name,
            File = model.Sha256 + ".onnx",
            Sha256 = model.Sha256,
            Bytes = bytes.LongLength,
            InputName = model.InputName,
            CreatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        record.InputShape.AddRange(model.InputShape);
        foreach (LayerDescriptor layer in layers)
        {
            var entry = new LayerEntry { Name = layer.Name, OpType = layer.OpType, Neurons = layer.Neurons, Order = layer.Order };
            entry.Shape.AddRange(layer.Shape);
            record.Layers.Add(entry);
        }

        store.PutModel(record, bytes);
        return record;
    }
}
