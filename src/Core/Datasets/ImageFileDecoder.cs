using System.Runtime.InteropServices;
using SkiaSharp;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// Decodes one PNG or JPEG file with Skia and resizes it into a stored input: uint8, channels
/// first (CHW), 1 channel (grey) or 3 (RGB). Mirrors what torchvision's ImageFolder loader does
/// with PIL: alpha is dropped (not composited), embedded colour profiles and EXIF orientation are
/// ignored, grey is ITU-R 601-2 luma as PIL's <c>convert("L")</c> computes it.
/// </summary>
/// <remarks>
/// Resizing ignores the aspect ratio (torchvision's <c>Resize((h, w))</c>). An image already of the
/// target size is stored pixel for pixel. A larger one is first halved per axis while it is at
/// least twice the target (each halving averages 2 pixels: a box filter, as mipmaps do), then
/// sampled bilinearly; a smaller one is sampled bilinearly. Skia's arithmetic may differ by one
/// level between CPUs or Skia versions; the stored pixels are what every later use reads.
/// </remarks>
internal static class ImageFileDecoder
{
    /// <summary>Most pixels one image may have (decoded as 4 bytes each: 128 MiB).</summary>
    public const long MaxPixels = 1L << 25;

    /// <summary>Largest image file read, in bytes.</summary>
    public const long MaxFileBytes = 256L << 20;

    private static readonly SKSamplingOptions _bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>
    /// Decodes <paramref name="encoded"/> (a whole file) into <paramref name="destination"/>:
    /// <c>channels x height x width</c> bytes, channels first.
    /// </summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="what">How the file is named in messages (field and path).</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    /// <param name="height">Target height in pixels.</param>
    /// <param name="width">Target width in pixels.</param>
    /// <param name="destination">Receives the pixels.</param>
    /// <exception cref="DeepEverestException">InvalidArgument naming the file when it is not a PNG or JPEG image, is truncated or corrupt, or is too large.</exception>
    public static void Decode(byte[] encoded, string what, int channels, int height, int width, Span<byte> destination)
    {
        using SKCodec? codec = SKCodec.Create(new SKMemoryStream(encoded), out SKCodecResult opened);
        if (codec is null)
        {
            throw DeepEverestException.Invalid($"{what} is not a PNG or JPEG image (Skia: {opened}).");
        }

        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
        {
            throw DeepEverestException.Invalid($"{what} is a {codec.EncodedFormat.ToString().ToUpperInvariant()} image; only PNG and JPEG are imported: convert it.");
        }

        int sourceWidth = codec.Info.Width;
        int sourceHeight = codec.Info.Height;
        if (sourceWidth < 1 || sourceHeight < 1 || (long)sourceWidth * sourceHeight > MaxPixels)
        {
            throw DeepEverestException.Invalid($"{what} is {sourceWidth} x {sourceHeight} pixels; an image may have at most {MaxPixels:N0} pixels.");
        }

        // Unpremultiplied, no colour space: Skia neither premultiplies nor converts colours, so
        // RGB comes out as stored whatever the alpha or embedded profile.
        var decodedInfo = new SKImageInfo(sourceWidth, sourceHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[decodedInfo.BytesSize64];
        SKCodecResult result = WithPinned(pixels, address => codec.GetPixels(decodedInfo, address));
        if (result != SKCodecResult.Success)
        {
            throw DeepEverestException.Invalid(result == SKCodecResult.IncompleteInput
                ? $"{what} is truncated: its {codec.EncodedFormat.ToString().ToUpperInvariant()} data ends before the image does."
                : $"{what} could not be decoded as {codec.EncodedFormat.ToString().ToUpperInvariant()} (Skia: {result}).");
        }

        // Alpha dropped, as PIL's convert("RGB") does: opaque pixels resize without premultiplying.
        for (int i = 3; i < pixels.Length; i += 4)
        {
            pixels[i] = 255;
        }

        pixels = Resize(pixels, ref sourceWidth, ref sourceHeight, width, height);
        WritePlanes(pixels, channels, height * width, destination);
    }

    /// <summary>Box-halves each axis while it is at least twice its target, then samples bilinearly to the target.</summary>
    private static byte[] Resize(byte[] pixels, ref int w, ref int h, int targetWidth, int targetHeight)
    {
        while (w >= 2 * targetWidth || h >= 2 * targetHeight)
        {
            int halfWidth = w >= 2 * targetWidth ? w / 2 : w;
            int halfHeight = h >= 2 * targetHeight ? h / 2 : h;
            pixels = Scale(pixels, w, h, halfWidth, halfHeight);
            (w, h) = (halfWidth, halfHeight);
        }

        return w == targetWidth && h == targetHeight ? pixels : Scale(pixels, w, h, targetWidth, targetHeight);
    }

    private static byte[] Scale(byte[] source, int w, int h, int targetWidth, int targetHeight)
    {
        var sourceInfo = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var targetInfo = new SKImageInfo(targetWidth, targetHeight, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var target = new byte[targetInfo.BytesSize64];
        bool scaled = WithPinned(source, from => WithPinned(target, to =>
        {
            using var sourcePixmap = new SKPixmap(sourceInfo, from, sourceInfo.RowBytes);
            using var targetPixmap = new SKPixmap(targetInfo, to, targetInfo.RowBytes);
            return sourcePixmap.ScalePixels(targetPixmap, _bilinear);
        }));
        return scaled ? target : throw new InvalidOperationException($"Skia could not scale {w} x {h} pixels to {targetWidth} x {targetHeight}.");
    }

    /// <summary>RGBA pixels to planes: R, G, B, or one plane of luma L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (PIL's integer form of 0.299 R + 0.587 G + 0.114 B).</summary>
    private static void WritePlanes(ReadOnlySpan<byte> rgba, int channels, int plane, Span<byte> destination)
    {
        for (int p = 0; p < plane; p++)
        {
            int r = rgba[4 * p];
            int g = rgba[(4 * p) + 1];
            int b = rgba[(4 * p) + 2];
            if (channels == 1)
            {
                destination[p] = (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16);
            }
            else
            {
                destination[p] = (byte)r;
                destination[plane + p] = (byte)g;
                destination[(2 * plane) + p] = (byte)b;
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> with the address of <paramref name="buffer"/>, pinned for Skia's native code.</summary>
    private static T WithPinned<T>(byte[] buffer, Func<IntPtr, T> action)
    {
        GCHandle pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            return action(pin.AddrOfPinnedObject());
        }
        finally
        {
            pin.Free();
        }
    }
}
