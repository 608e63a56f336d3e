using DeepEverest.Kernels.Summary;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// <see cref="SummaryRounding"/>, which the host and the ILGPU kernels share, against the BCL
/// methods the summary bounds were proven with, bit for bit: edge values (signed zeros,
/// subnormals, the largest finite values, infinities, NaN) and random bit patterns.
/// </summary>
public sealed class SummaryRoundingTests
{
    private static readonly double[] _edges =
    [
        0.0, -0.0, double.Epsilon, -double.Epsilon, 2 * double.Epsilon, -2 * double.Epsilon, double.MaxValue, double.MinValue,
        double.PositiveInfinity, double.NegativeInfinity, double.NaN, -double.NaN, BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001),
        BitConverter.Int64BitsToDouble(0x0010_0000_0000_0000), BitConverter.Int64BitsToDouble(0x000F_FFFF_FFFF_FFFF), 1.0, -1.0, 2.5, -0.75,
    ];

    [Fact]
    public void DownAndUp_EdgesAndRandomBits_MatchBitDecrementAndBitIncrement()
    {
        foreach (double x in Values(new Random(71), 20_000))
        {
            Assert.Equal(Bits(Math.BitDecrement(x)), Bits(SummaryRounding.Down(x)));
            Assert.Equal(Bits(Math.BitIncrement(x)), Bits(SummaryRounding.Up(x)));
        }
    }

    [Fact]
    public void MaxMinClamp_EdgePairs_MatchMath()
    {
        double[] values = [.. Values(new Random(72), 200)];
        foreach (double a in values)
        {
            foreach (double b in values)
            {
                Assert.Equal(Bits(Math.Max(a, b)), Bits(SummaryRounding.Max(a, b)));
                Assert.Equal(Bits(Math.Min(a, b)), Bits(SummaryRounding.Min(a, b)));
                if (a <= b)
                {
                    foreach (double v in _edges)
                    {
                        Assert.Equal(Bits(Math.Clamp(v, a, b)), Bits(SummaryRounding.Clamp(v, a, b)));
                    }
                }
            }
        }
    }

    [Fact]
    public void IsFiniteAndSqrtDown_Edges_MatchDefinition()
    {
        foreach (double x in Values(new Random(73), 2_000))
        {
            Assert.Equal(double.IsFinite(x), SummaryRounding.IsFinite(x));
            double expected = x > 0 ? Math.Max(0, Math.BitDecrement(Math.Sqrt(x))) : 0;
            Assert.Equal(Bits(expected), Bits(SummaryRounding.SqrtDown(x)));
        }
    }

    [Fact]
    public void Mul_OnHost_IsThePlainProduct()
    {
        foreach (double a in _edges)
        {
            foreach (double b in _edges)
            {
                Assert.Equal(Bits(a * b), Bits(SummaryRounding.Mul(a, b)));
            }
        }
    }

    private static long Bits(double x) => BitConverter.DoubleToInt64Bits(x);

    /// <summary>The edges, then random doubles of every exponent and sign (raw bits).</summary>
    private static IEnumerable<double> Values(Random rng, int random)
    {
        foreach (double x in _edges)
        {
            yield return x;
        }

        for (int r = 0; r < random; r++)
        {
            yield return BitConverter.Int64BitsToDouble(rng.NextInt64(long.MinValue, long.MaxValue));
        }
    }
}
