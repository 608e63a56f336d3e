namespace DeepEverest.Core.Datasets;

/// <summary>
/// The element type of an array file (idx type byte or .npy <c>descr</c>): its kind, size in bytes
/// and byte order.
/// </summary>
/// <param name="Kind">'u' unsigned integer, 'i' signed integer, 'f' IEEE float.</param>
/// <param name="Size">Bytes per element: 1, 2, 4 or 8.</param>
/// <param name="BigEndian">Whether elements are big-endian (always false for 1-byte elements).</param>
public readonly record struct ElementFormat(char Kind, int Size, bool BigEndian)
{
    /// <summary>Unsigned 8-bit integers (pixels).</summary>
    public static ElementFormat UInt8 => new('u', 1, false);

    /// <summary>Whether this is an integer type (usable for labels).</summary>
    public bool IsInteger => Kind is 'u' or 'i';

    /// <summary>Whether inputs of this type can be imported: uint8 is stored as is, float32 and float64 as float32.</summary>
    public bool IsInputType => this == UInt8 || (Kind == 'f' && Size is 4 or 8);

    /// <summary>The NumPy spelling, e.g. <c>&lt;f4</c>, for messages.</summary>
    public override string ToString() => $"{(Size == 1 ? '|' : BigEndian ? '>' : '<')}{Kind}{Size}";

    /// <summary>The type of an idx type byte, or null when unknown.</summary>
    public static ElementFormat? FromIdx(byte type) => type switch
    {
        0x08 => new('u', 1, false),
        0x09 => new('i', 1, false),
        0x0B => new('i', 2, true),
        0x0C => new('i', 4, true),
        0x0D => new('f', 4, true),
        0x0E => new('f', 8, true),
        _ => null,
    };

    /// <summary>The type of a .npy <c>descr</c> such as <c>&lt;f4</c> or <c>|u1</c>, or null when unsupported.</summary>
    public static ElementFormat? FromNpy(string descr)
    {
        if (descr.Length != 3 || descr[0] is not ('<' or '>' or '|' or '='))
        {
            return null;
        }

        char kind = descr[1];
        int size = descr[2] - '0';
        bool valid = kind switch
        {
            'u' or 'i' => size is 1 or 2 or 4 or 8,
            'f' => size is 4 or 8,
            _ => false,
        };

        // '=' is native order; .NET runs little-endian on every platform it supports here.
        return valid ? new ElementFormat(kind, size, descr[0] == '>' && size > 1) : null;
    }
}
