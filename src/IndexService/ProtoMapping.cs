using DeepEverest.Contracts.V1;
using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.IndexService;

/// <summary>Conversions between store records and the public API messages.</summary>
internal static class ProtoMapping
{
    /// <summary>The API form of a dataset.</summary>
    public static DatasetInfo ToInfo(DatasetRecord record)
    {
        InputIdSpace ids = InputIdSpace.Of(record);
        var info = new DatasetInfo
        {
            Name = record.Name,
            Count = record.Count,
            ElementType = (ElementType)record.ElementType,
            Preprocessing = new Preprocessing { Scale = record.Scale, Shift = record.Shift, Mean = { record.Mean }, Std = { record.Std } },
            HasLabels = record.HasLabels,
            StoredBytes = record.StoredBytes,

            // Records written before shards have no range: a whole dataset (InputIdSpace's rule).
            InputRange = new InputRange { Start = ids.Start, End = ids.End },
            TotalCount = ids.Total,
        };
        info.InputShape.AddRange(record.InputShape);
        info.Labels.AddRange(record.DistinctLabels);
        info.LabelNames.Add(record.LabelNames);
        if (record.Text is { } text)
        {
            info.Text = new Contracts.V1.TextDatasetInfo
            {
                Tokenizer = text.Tokenizer,
                VocabSha256 = text.VocabSha256,
                WindowTokens = (int)text.WindowTokens,
                Documents = text.Documents,
                Windows = text.Windows,
            };
            foreach (TextMetadataKey key in text.Metadata)
            {
                var entry = new MetadataKey { Key = key.Key };
                entry.Values.AddRange(key.Values);
                entry.Documents.AddRange(key.Documents);
                info.Text.Metadata.Add(entry);
            }
        }

        return info;
    }

    /// <summary>The API form of a model.</summary>
    public static ModelInfo ToInfo(ModelRecord record)
    {
        var info = new ModelInfo
        {
            Name = record.Name,
            Bytes = record.Bytes,
            Sha256 = record.Sha256,
            InputName = record.InputName,
            LayerCount = record.Layers.Count,

            // Records written before composition existed have no source hash: the file is the source.
            SourceSha256 = record.SourceSha256.Length > 0 ? record.SourceSha256 : record.Sha256,
            PreprocessingSha256 = record.PreprocessingSha256,
        };
        info.InputShape.AddRange(record.InputShape);
        info.Inputs.AddRange(record.Inputs.Select(i => new ModelInput { Name = i.Name, ElementType = i.ElementType, Shape = { i.Shape.Select(ToInfo) } }));
        return info;
    }

    /// <summary>The API form of a layer.</summary>
    public static LayerInfo ToInfo(LayerEntry entry)
    {
        var info = new LayerInfo { Name = entry.Name, OpType = entry.OpType, Neurons = entry.Neurons, Order = entry.Order };
        info.Shape.AddRange(entry.Shape);
        info.TensorShape.AddRange(entry.TensorShape.Select(ToInfo));
        return info;
    }

    private static TensorDim ToInfo(TensorDimEntry dim) => new() { Size = dim.Size, Symbol = dim.Symbol };

    /// <summary>The layer reference of a (model, dataset, layer) triple.</summary>
    public static LayerRef ToLayerRef(string model, string dataset, string layer) =>
        new() { Model = model, Dataset = dataset, Layer = layer };

    /// <summary>
    /// The API form of a published index. Full materialization is n x neurons x 4 bytes (one
    /// float32 per activation), the denominator of <c>storage_fraction</c>.
    /// </summary>
    public static IndexInfo ToInfo(IndexRecord record, bool materialized)
    {
        long full = FullMaterializationBytes(record.Inputs, record.Neurons);
        var info = new IndexInfo
        {
            Layer = ToLayerRef(record.Model, record.Dataset, record.Layer),
            Partitions = record.Partitions,
            BitsPerCode = record.Bits,
            Ratio = record.Ratio,
            MaiPerNeuron = record.MaiCount,
            Inputs = record.Inputs,
            Neurons = record.Neurons,
            IndexBytes = record.IndexBytes,
            FullMaterializationBytes = full,
            StorageFraction = full > 0 ? (double)record.IndexBytes / full : 0,
            InferenceMs = record.InferenceMs,
            ConstructionMs = record.ConstructionMs,
            BuiltAtUnixMs = record.BuiltAtUnixMs,
            Generation = record.Generation,
            Spilled = record.Spilled,
            KernelBackend = record.KernelBackend,
            Materialized = materialized,
        };
        info.LayerShape.AddRange(record.LayerShape);
        return info;
    }

    /// <summary>
    /// What MaterializeLayer reports for a layer that has no index yet: the layer's sizes, with
    /// the index fields (partitions, index bytes) left at zero.
    /// </summary>
    public static IndexInfo ToInfo(MaterializationRecord record, IEnumerable<long> layerShape)
    {
        var info = new IndexInfo
        {
            Layer = ToLayerRef(record.Model, record.Dataset, record.Layer),
            Inputs = record.Inputs,
            Neurons = record.Neurons,
            FullMaterializationBytes = FullMaterializationBytes(record.Inputs, record.Neurons),
            InferenceMs = record.InferenceMs,
            BuiltAtUnixMs = record.BuiltAtUnixMs,
            Materialized = true,
        };
        info.LayerShape.AddRange(layerShape);
        return info;
    }

    private static long FullMaterializationBytes(long inputs, long neurons) => inputs * neurons * 4;
}
