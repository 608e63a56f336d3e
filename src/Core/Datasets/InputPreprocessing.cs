using System.Runtime.InteropServices;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// How a stored input becomes the model's input, in one place: every path that feeds a model
/// (index builds, queries, activations, benchmarks) decodes inputs with <see cref="Decode"/>.
/// <para>
/// <c>model_input[c, ...] = (stored * scale + shift - mean[c]) / std[c]</c>, in float32, evaluated
/// in that order (each operation rounded, no fused multiply-add), where <c>c</c> is the index along
/// the first axis of the dataset's input shape (the channel axis of CHW images). Without mean and
/// std it is <c>stored * scale + shift</c> exactly; a missing mean is 0 and a missing std 1.
/// </para>
/// </summary>
/// <param name="Scale">Multiplier, finite and non-zero (an API value of 0 means 1).</param>
/// <param name="Shift">Offset added after scaling, finite.</param>
/// <param name="Mean">Empty, one value for every channel, or one per channel.</param>
/// <param name="Std">Empty, one value for every channel, or one per channel; finite and non-zero.</param>
public sealed record InputPreprocessing(float Scale, float Shift, IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>No preprocessing: inputs go to the model as stored.</summary>
    public static InputPreprocessing None { get; } = new(1, 0, [], []);

    /// <summary>Scale and shift only.</summary>
    public static InputPreprocessing Affine(float scale, float shift) => new(scale == 0 ? 1 : scale, shift, [], []);

    /// <summary>The preprocessing stored with a dataset.</summary>
    public static InputPreprocessing Of(DatasetRecord dataset) => new(dataset.Scale, dataset.Shift, [.. dataset.Mean], [.. dataset.Std]);

    /// <summary>
    /// Checks the values against the dataset's input shape (first axis = channels); the messages
    /// name the API fields (<c>preprocessing.mean</c> etc.).
    /// </summary>
    public void Validate(IReadOnlyList<long> inputShape)
    {
        if (!float.IsFinite(Scale) || Scale == 0)
        {
            throw DeepEverestException.Invalid($"preprocessing.scale = {Scale} must be finite (0 means 1).");
        }

        if (!float.IsFinite(Shift))
        {
            throw DeepEverestException.Invalid($"preprocessing.shift = {Shift} must be finite.");
        }

        long channels = inputShape.Count > 0 ? inputShape[0] : 1;
        CheckPerChannel(Mean, "mean", channels, inputShape);
        CheckPerChannel(Std, "std", channels, inputShape);
        for (int c = 0; c < Mean.Count; c++)
        {
            if (!float.IsFinite(Mean[c]))
            {
                throw DeepEverestException.Invalid($"preprocessing.mean[{c}] = {Mean[c]} must be finite.");
            }
        }

        for (int c = 0; c < Std.Count; c++)
        {
            if (!float.IsFinite(Std[c]) || Std[c] == 0)
            {
                throw DeepEverestException.Invalid($"preprocessing.std[{c}] = {Std[c]} must be finite and non-zero.");
            }
        }
    }

    /// <summary>
    /// Converts one stored input (uint8, or float32 LE) into the model's input with the dataset's
    /// preprocessing. <paramref name="destination"/> holds exactly one input's elements.
    /// </summary>
    public static void Decode(DatasetRecord dataset, ReadOnlySpan<byte> raw, Span<float> destination)
    {
        float scale = dataset.Scale;
        float shift = dataset.Shift;
        int meanCount = dataset.Mean.Count;
        int stdCount = dataset.Std.Count;
        if (meanCount == 0 && stdCount == 0)
        {
            if (dataset.ElementType == StoreLayout.ElementUInt8)
            {
                for (int e = 0; e < destination.Length; e++)
                {
                    destination[e] = raw[e] * scale + shift;
                }
            }
            else
            {
                ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(raw);
                for (int e = 0; e < destination.Length; e++)
                {
                    destination[e] = values[e] * scale + shift;
                }
            }

            return;
        }

        int channels = Math.Max(meanCount, stdCount) > 1 ? (int)dataset.InputShape[0] : 1;
        int perChannel = destination.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            float mean = meanCount == 0 ? 0 : dataset.Mean[meanCount == 1 ? 0 : c];
            float std = stdCount == 0 ? 1 : dataset.Std[stdCount == 1 ? 0 : c];
            int start = c * perChannel;
            Span<float> block = destination.Slice(start, perChannel);
            if (dataset.ElementType == StoreLayout.ElementUInt8)
            {
                ReadOnlySpan<byte> values = raw.Slice(start, perChannel);
                for (int e = 0; e < block.Length; e++)
                {
                    block[e] = ((values[e] * scale) + shift - mean) / std;
                }
            }
            else
            {
                ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(raw).Slice(start, perChannel);
                for (int e = 0; e < block.Length; e++)
                {
                    block[e] = ((values[e] * scale) + shift - mean) / std;
                }
            }
        }
    }

    /// <summary>
    /// Converts one input given in the dataset's stored units as floats (a raw query target with
    /// stored units, e.g. a picture's uint8 pixels) into the model's input, through the very bytes
    /// and <see cref="Decode"/> a stored input goes through, so equal values give equal model inputs
    /// bit for bit. For a uint8 dataset every value must be an integer in 0..255.
    /// </summary>
    /// <param name="dataset">The dataset whose element type and preprocessing apply.</param>
    /// <param name="stored">One input's values (finite), row-major, in stored units.</param>
    /// <param name="field">The API field the values came from, named in errors (e.g. <c>target.tensor.values</c>).</param>
    /// <returns>A new array: the model's input.</returns>
    public static float[] DecodeStoredValues(DatasetRecord dataset, ReadOnlySpan<float> stored, string field)
    {
        byte[] raw;
        if (dataset.ElementType == StoreLayout.ElementUInt8)
        {
            raw = new byte[stored.Length];
            for (int e = 0; e < stored.Length; e++)
            {
                float v = stored[e];
                if (!(v >= 0 && v <= 255) || v != MathF.Floor(v))
                {
                    throw DeepEverestException.Invalid(
                        $"{field}[{e}] = {v} is not a stored value of dataset '{dataset.Name}': it stores uint8, so stored units are integers 0..255.");
                }

                raw[e] = (byte)v;
            }
        }
        else
        {
            raw = MemoryMarshal.AsBytes(stored).ToArray();
        }

        var destination = new float[stored.Length];
        Decode(dataset, raw, destination);
        return destination;
    }

    /// <summary>Converts one stored input to floats without any preprocessing: the values as stored.</summary>
    public static void DecodeStored(DatasetRecord dataset, ReadOnlySpan<byte> raw, Span<float> destination)
    {
        if (dataset.ElementType == StoreLayout.ElementUInt8)
        {
            for (int e = 0; e < destination.Length; e++)
            {
                destination[e] = raw[e];
            }
        }
        else
        {
            MemoryMarshal.Cast<byte, float>(raw)[..destination.Length].CopyTo(destination);
        }
    }

    private static void CheckPerChannel(IReadOnlyList<float> values, string field, long channels, IReadOnlyList<long> inputShape)
    {
        if (values.Count > 1 && values.Count != channels)
        {
            throw DeepEverestException.Invalid(
                $"preprocessing.{field} has {values.Count} values; give one per channel ({channels}: the first axis of the input shape [{string.Join(", ", inputShape)}]) or a single value for all.");
        }
    }
}
