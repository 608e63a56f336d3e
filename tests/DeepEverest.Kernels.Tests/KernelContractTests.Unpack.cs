namespace DeepEverest.Kernels.Tests;

public abstract partial class KernelContractTests
{
    [KernelFact]
    public void UnpackCodes_EveryBitWidthStartAndCount_MatchesReference()
    {
        var rng = new Random(51);
        var packed = new byte[64];
        rng.NextBytes(packed);
        int[] starts = IsEmulator ? [0, 1, 5, 8, 13] : Enumerable.Range(0, ShortLengths + 1).ToArray();
        int[] counts = IsEmulator ? [0, 1, 8, 17, 40] : Enumerable.Range(0, 41).ToArray();
        for (int bits = 1; bits <= 8; bits++)
        {
            foreach (int start in starts)
            {
                foreach (int count in counts)
                {
                    var codes = new byte[count];
                    Kernels.UnpackCodes(packed, bits, start, count, codes);
                    for (int o = 0; o < count; o++)
                    {
                        Assert.True(
                            ScalarReference.CodeAt(packed, bits, start + o) == codes[o],
                            $"bits={bits} start={start} count={count} code {o}");
                    }
                }
            }
        }
    }

    [KernelFact]
    public void UnpackCodes_LastCodeOfExactStream_MatchesReference()
    {
        // Streams of exactly StrideBytes: the final group must not read past the end.
        var rng = new Random(52);
        for (int bits = 1; bits <= 8; bits++)
        {
            foreach (int n in new[] { 1, 7, 8, 9, 63, 64, 65, 1001 })
            {
                byte[] codes = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(1 << bits)).ToArray();
                byte[] packed = ScalarReference.Pack(codes, bits);
                var unpacked = new byte[n];
                Kernels.UnpackCodes(packed, bits, 0, n, unpacked);
                Assert.Equal(codes, unpacked);
            }
        }
    }

    [KernelFact]
    public void UnpackCodes_RangePastStream_Throws()
    {
        Assert.Throws<ArgumentException>(() => Kernels.UnpackCodes(new byte[3], 3, 6, 3, new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.UnpackCodes(new byte[3], 9, 0, 1, new byte[1]));
    }
}
