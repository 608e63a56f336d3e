using System.Buffers.Binary;
using DeepEverest.Core;
using DeepEverest.Core.Datasets;

namespace DeepEverest.Bench.Scale;

/// <summary>
/// The scale benchmark's dataset: Fashion-MNIST's 70,000 images (train then test) repeated under
/// deterministic augmentations until it holds the requested number of inputs, written as an
/// uncompressed idx pair that the ordinary importer reads (whole, or one input-range shard).
/// </summary>
/// <remarks>
/// Input id <c>g</c> is source image <c>g % 70,000</c> under augmentation <c>g / 70,000</c>
/// (<see cref="Describe"/>): augmentation 0 is the image itself; augmentation <c>c</c> mirrors it
/// left-right when <c>c</c> is odd and shifts it by <see cref="Shifts"/>[<c>c / 2</c>] pixels,
/// filling with background (0). Eighteen augmentations give at most <see cref="MaxInputs"/> inputs.
/// Labels are the source's. Nothing is random, so every run and every shard sees the same bytes.
/// </remarks>
internal static class ScaleData
{
    /// <summary>Side of an image.</summary>
    public const int Side = 28;

    /// <summary>Pixels of an image.</summary>
    public const int Pixels = Side * Side;

    /// <summary>Images of Fashion-MNIST, train then test.</summary>
    public const int SourceImages = 70_000;

    /// <summary>(dx, dy) of each shift, in pixels: right and down are positive.</summary>
    public static readonly (int Dx, int Dy)[] Shifts = [(0, 0), (2, 0), (0, 2), (-2, 0), (0, -2), (2, 2), (-2, -2), (2, -2), (-2, 2)];

    /// <summary>The most inputs the augmentations give.</summary>
    public static int MaxInputs => SourceImages * 2 * Shifts.Length;

    /// <summary>What augmentation <paramref name="copy"/> does, for the report.</summary>
    public static string Describe(int copy)
    {
        (int dx, int dy) = Shifts[copy / 2];
        string shift = dx == 0 && dy == 0 ? "no shift" : $"shift ({dx:+0;-0;0}, {dy:+0;-0;0})";
        return copy % 2 == 1 ? $"mirrored, {shift}" : shift;
    }

    /// <summary>Writes augmentation <paramref name="copy"/> of <paramref name="image"/> into <paramref name="destination"/>.</summary>
    public static void Augment(ReadOnlySpan<byte> image, int copy, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(copy);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(copy, 2 * Shifts.Length);
        bool mirror = copy % 2 == 1;
        (int dx, int dy) = Shifts[copy / 2];
        destination[..Pixels].Clear();
        for (int y = 0; y < Side; y++)
        {
            int sy = y - dy;
            if ((uint)sy >= Side)
            {
                continue;
            }

            for (int x = 0; x < Side; x++)
            {
                int sx = x - dx;
                if ((uint)sx < Side)
                {
                    destination[(y * Side) + x] = image[(sy * Side) + (mirror ? Side - 1 - sx : sx)];
                }
            }
        }
    }

    /// <summary>
    /// Writes the first <paramref name="inputs"/> augmented images and their labels to
    /// <c>images.idx</c> and <c>labels.idx</c> in <paramref name="directory"/>, streaming.
    /// </summary>
    /// <returns>The pair, as the importer takes it.</returns>
    public static DatasetPartPaths Write(string directory, string fashionDirectory, int inputs)
    {
        if (inputs < 1 || inputs > MaxInputs)
        {
            throw DeepEverestException.Invalid($"The scale dataset holds 1 to {MaxInputs:N0} inputs, not {inputs:N0}.");
        }

        (byte[] images, int[] labels) = ReadSource(fashionDirectory);
        Directory.CreateDirectory(directory);
        var paths = new DatasetPartPaths(Path.Combine(directory, "images.idx"), Path.Combine(directory, "labels.idx"));
        using (var imageFile = new FileStream(paths.InputsPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var labelFile = new FileStream(paths.LabelsPath!, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            WriteHeader(imageFile, 0x0803, [inputs, Side, Side]);
            WriteHeader(labelFile, 0x0801, [inputs]);
            var image = new byte[Pixels];
            for (int g = 0; g < inputs; g++)
            {
                int source = g % SourceImages;
                Augment(images.AsSpan(source * Pixels, Pixels), g / SourceImages, image);
                imageFile.Write(image);
                labelFile.WriteByte((byte)labels[source]);
            }
        }

        return paths;
    }

    /// <summary>Fashion-MNIST's images (uint8, 784 each) and labels, train then test.</summary>
    private static (byte[] Images, int[] Labels) ReadSource(string directory)
    {
        var images = new List<byte>(SourceImages * Pixels);
        var labels = new List<int>(SourceImages);
        foreach (string part in new[] { "train", "t10k" })
        {
            RawArray data = RawArray.Read(Path.Combine(directory, $"{part}-images-idx3-ubyte.gz"));
            int[] partLabels = RawArray.Read(Path.Combine(directory, $"{part}-labels-idx1-ubyte.gz")).Labels
                ?? throw DeepEverestException.Invalid($"{directory} holds no {part} labels.");
            images.AddRange(data.Data);
            labels.AddRange(partLabels);
        }

        if (labels.Count != SourceImages || images.Count != SourceImages * Pixels)
        {
            throw DeepEverestException.Invalid($"{directory} does not hold Fashion-MNIST's {SourceImages:N0} 28x28 images.");
        }

        return ([.. images], [.. labels]);
    }

    private static void WriteHeader(Stream stream, int magic, int[] dims)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        stream.Write(word);
        foreach (int dim in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, dim);
            stream.Write(word);
        }
    }
}
