using DeepEverest.Contracts.V1;

namespace DeepEverest.Cli;

/// <summary>The plain-text description of an index printed after a build and by <c>index describe</c>.</summary>
internal static class IndexSummary
{
    /// <summary>
    /// Writes one "key: value" line per fact. The <c>storage: X% of full materialization</c> line
    /// has a fixed form (one decimal) that scripts and the experiments read.
    /// </summary>
    public static void Print(TextWriter output, string title, IndexInfo info)
    {
        LayerRef layer = info.Layer;
        output.WriteLine($"{title}: {layer.Model}/{layer.Dataset}/{layer.Layer}");
        output.WriteLine(Format.Invariant($"inputs: {Format.Count(info.Inputs)}, neurons: {Format.Count(info.Neurons)} per input, layer shape {Format.Shape(info.LayerShape)}"));
        output.WriteLine(Format.Invariant($"partitions: {info.Partitions} ({info.BitsPerCode}-bit codes), ratio: {info.Ratio:G4} ({Format.Count(info.MaiPerNeuron)} exact activations per neuron)"));
        output.WriteLine(Format.Invariant($"index size: {Format.Bytes(info.IndexBytes)}, full materialization: {Format.Bytes(info.FullMaterializationBytes)}"));
        output.WriteLine(Format.Invariant($"storage: {info.StorageFraction * 100:F1}% of full materialization"));
        output.WriteLine(Format.Invariant(
            $"build: inference {Format.Duration(info.InferenceMs)}, construction {Format.Duration(info.ConstructionMs)}, kernels {info.KernelBackend}{(info.Spilled ? ", spilled to disk" : "")}"));
        string built = DateTimeOffset.FromUnixTimeMilliseconds(info.BuiltAtUnixMs).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine(Format.Invariant($"published: {built}, generation {info.Generation}, materialized: {(info.Materialized ? "yes" : "no")}"));
    }
}
