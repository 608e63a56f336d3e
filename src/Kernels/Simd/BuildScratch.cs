namespace DeepEverest.Kernels.Simd;

/// <summary>One thread's working memory for building neurons of n inputs.</summary>
internal sealed class BuildScratch
{
    /// <summary>Radix digits: 3 passes of 11 bits cover the 32-bit key.</summary>
    public const int DigitBits = 11;

    /// <summary>Buckets per digit.</summary>
    public const int Buckets = 1 << DigitBits;

    /// <summary>Passes over the key.</summary>
    public const int Passes = 3;

    /// <summary>Creates buffers for neurons of <paramref name="inputs"/> inputs.</summary>
    public BuildScratch(int inputs)
    {
        Items = new ulong[inputs];
        Spare = new ulong[inputs];
        Codes = new byte[inputs];
    }

    /// <summary>(key &lt;&lt; 32 | id) items being sorted.</summary>
    public ulong[] Items { get; set; }

    /// <summary>The other buffer of each radix pass.</summary>
    public ulong[] Spare { get; set; }

    /// <summary>One unpacked code per input, in id order.</summary>
    public byte[] Codes { get; }

    /// <summary>Digit histograms of all passes, <c>[pass*Buckets + digit]</c>.</summary>
    public int[] Histogram { get; } = new int[Passes * Buckets];
}
