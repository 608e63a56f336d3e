using DeepEverest.Contracts.V1;

namespace DeepEverest.Cli;

/// <summary>Draws a grey-scale image input in the terminal with block characters.</summary>
internal static class InputPicture
{
    private const string Ramp = " .:-=+*#%@";

    public static void Write(TextWriter output, Tensor tensor)
    {
        var shape = tensor.Shape;
        if (shape.Count < 2 || tensor.Values.Count == 0)
        {
            return;
        }

        int height = (int)shape[^2];
        int width = (int)shape[^1];
        float max = Math.Max(tensor.Values.Take(height * width).Max(), 1e-6f);
        for (int y = 0; y < height; y++)
        {
            var line = new char[width * 2];
            for (int x = 0; x < width; x++)
            {
                float v = Math.Clamp(tensor.Values[y * width + x] / max, 0, 1);
                line[2 * x] = line[2 * x + 1] = Ramp[(int)Math.Round(v * (Ramp.Length - 1))];
            }

            output.WriteLine(new string(line).TrimEnd());
        }
    }
}
