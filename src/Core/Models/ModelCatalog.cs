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
    /// replacing a model that indexes or materializations were built from (FailedPrecondition: they
    /// would silently describe another network). Replacing a model by the very same file is a
    /// no-op. Nothing is written on failure.
    /// </summary>
    public static ModelRecord Register(DeepEverestStore store, string name, byte[] bytes, bool replace)
    {
        StoreLayout.ValidateName(name, "model");
        ModelRecord? existing = store.GetModel(name);
        if (existing is not null)
        {
            if (!replace)
            {
                throw new DeepEverestException(ErrorKind.AlreadyExists, $"Model '{name}' already exists; pass replace to overwrite it.");
            }

            if (existing.Sha256 == Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)))
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

        // Parsing and listing layers first: nothing is written for a file that is not a usable model.
        OnnxModelFile model = OnnxModelFile.Load(bytes);
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
