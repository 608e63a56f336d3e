namespace DeepEverest.Kernels.Tests;

/// <summary>Bit-for-bit comparisons that name the failing element.</summary>
internal static class BitAssert
{
    /// <summary>Same bits everywhere (any NaN matches any NaN: payloads are not part of the contract).</summary>
    public static void Equal(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string context)
    {
        Assert.True(expected.Length <= actual.Length, $"{context}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            double a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a))
            {
                continue;
            }

            if (BitConverter.DoubleToInt64Bits(e) != BitConverter.DoubleToInt64Bits(a))
            {
                Assert.Fail($"{context}: element {i}: expected {e:R} (0x{BitConverter.DoubleToInt64Bits(e):X16}), got {a:R} (0x{BitConverter.DoubleToInt64Bits(a):X16})");
            }
        }
    }

    /// <summary>Same bits everywhere.</summary>
    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{context}: element {i}: expected {expected[i]:R}, got {actual[i]:R}");
            }
        }
    }

    /// <summary>Same elements.</summary>
    public static void Equal<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string context)
        where T : IEquatable<T>
    {
        Assert.True(expected.Length <= actual.Length, $"{context}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (!expected[i].Equals(actual[i]))
            {
                Assert.Fail($"{context}: element {i}: expected {expected[i]}, got {actual[i]}");
            }
        }
    }
}
