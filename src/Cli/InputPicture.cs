using DeepEverest.Contracts.V1;

namespace DeepEverest.Cli;

/// <summary>
/// Draws an image input in the terminal with a ramp of characters, two per pixel (terminal cells
/// are about twice as tall as wide). Several channels are averaged to grey; values are scaled
/// from their minimum to their maximum. An image wider than the terminal is shrunk by averaging
/// square blocks of pixels, so a 224x224 input fits in 80 columns.
/// </summary>
internal static class InputPicture
{
    private const string Ramp = " .:-=+*#%@";

    /// <summary>Draws <paramref name="tensor"/> within <paramref name="columns"/> terminal columns.</summary>
    public static void Write(TextWriter output, Tensor tensor, int columns)
    {
        var shape = tensor.Shape;
        if (shape.Count < 2 || tensor.Values.Count == 0)
        {
            return;
        }

        int height = (int)shape[^2];
        int width = (int)shape[^1];
        int plane = height * width;
        int channels = tensor.Values.Count / plane;
        if (plane <= 0 || channels < 1)
        {
            return;
        }

        // Grey: the mean of the channels (of the leading axes).
        var grey = new double[plane];
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < plane; p++)
            {
                grey[p] += tensor.Values[(c * plane) + p] / (double)channels;
            }
        }

        // Each output character pair averages a block x block square of pixels.
        int block = Math.Max(1, (int)Math.Ceiling(width / (double)Math.Max(1, columns / 2)));
        int outWidth = (width + block - 1) / block;
        int outHeight = (height + block - 1) / block;
        var cells = new double[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                double sum = 0;
                int count = 0;
                for (int dy = 0; dy < block && (y * block) + dy < height; dy++)
                {
                    for (int dx = 0; dx < block && (x * block) + dx < width; dx++)
                    {
                        sum += grey[(((y * block) + dy) * width) + (x * block) + dx];
                        count++;
                    }
                }

                cells[(y * outWidth) + x] = sum / count;
            }
        }

        double min = cells.Min();
        double max = cells.Max();
        double range = max - min > 1e-12 ? max - min : 1;
        for (int y = 0; y < outHeight; y++)
        {
            var line = new char[outWidth * 2];
            for (int x = 0; x < outWidth; x++)
            {
                double v = Math.Clamp((cells[(y * outWidth) + x] - min) / range, 0, 1);
                line[2 * x] = line[(2 * x) + 1] = Ramp[(int)Math.Round(v * (Ramp.Length - 1))];
            }

            output.WriteLine(new string(line).TrimEnd());
        }
    }
}
