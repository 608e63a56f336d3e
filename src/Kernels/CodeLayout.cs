namespace DeepEverest.Kernels;

/// <summary>Sizes of packed partition codes (see <see cref="IKernels"/> for the bit layout).</summary>
public static class CodeLayout
{
    /// <summary>Bits per code for <paramref name="partitions"/> partitions (a power of two in [2, 256]).</summary>
    public static int BitsFor(int partitions)
    {
        if (partitions < 2 || partitions > 256 || (partitions & (partitions - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, "P must be a power of two in [2, 256].");
        }

        return System.Numerics.BitOperations.Log2((uint)partitions);
    }

    /// <summary>Bytes of one neuron's packed codes for n inputs: ceil(n * bits / 8).</summary>
    public static int StrideBytes(int n, int bits) => checked((int)(((long)n * bits + 7) / 8));
}
