using System.Text;

namespace DeepEverest.Core.Files;

/// <summary>
/// Orders strings by their UTF-8 bytes, which is Unicode code point order: the order of Python's
/// <c>sorted()</c> (and so of torchvision's ImageFolder), which ordinal UTF-16 comparison departs
/// from for characters outside the Basic Multilingual Plane.
/// </summary>
internal sealed class Utf8Order : IComparer<string>
{
    /// <summary>The one instance.</summary>
    public static readonly Utf8Order Instance = new();

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        return Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));
    }
}
