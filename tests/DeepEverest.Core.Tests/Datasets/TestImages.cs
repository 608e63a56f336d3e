using SkiaSharp;

namespace DeepEverest.Core.Tests.Datasets;

/// <summary>PNG and JPEG files made in memory with Skia, for image folder imports.</summary>
public static class TestImages
{
    /// <summary>A PNG of <paramref name="width"/> x <paramref name="height"/> RGB pixels given by <paramref name="pixel"/>(x, y).</summary>
    public static byte[] Png(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel) =>
        Encode(width, height, pixel, SKEncodedImageFormat.Png, 100);

    /// <summary>A PNG of one colour.</summary>
    public static byte[] SolidPng(int width, int height, byte r, byte g, byte b) => Png(width, height, (_, _) => (r, g, b));

    /// <summary>A JPEG (quality 100) of RGB pixels given by <paramref name="pixel"/>(x, y).</summary>
    public static byte[] Jpeg(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel) =>
        Encode(width, height, pixel, SKEncodedImageFormat.Jpeg, 100);

    /// <summary>A greyscale (one-channel) PNG.</summary>
    public static byte[] GreyPng(int width, int height, Func<int, int, byte> pixel)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte v = pixel(x, y);
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        }

        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Luma as PIL's <c>convert("L")</c> computes it.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16);

    private static byte[] Encode(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (byte r, byte g, byte b) = pixel(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        }

        using SKData data = bitmap.Encode(format, quality);
        return data.ToArray();
    }
}
