namespace DeepEverest.Kernels.Tests;

public sealed class ActivationChecksTests
{
    // Two widest float vectors (2 x 16) plus one, so every vector and tail position is hit.
    private const int MaxLength = (2 * 16) + 1;

    [Fact]
    public void FirstNonFinite_AllFinite_ReturnsMinusOne()
    {
        float[] values = [0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 1e-40f, 3f];
        for (int n = 0; n <= MaxLength; n++)
        {
            float[] data = Enumerable.Range(0, n).Select(i => values[i % values.Length]).ToArray();
            Assert.Equal(-1, ActivationChecks.FirstNonFinite(data));
        }
    }

    [Fact]
    public void FirstNonFinite_NonFiniteAtEveryPosition_ReturnsFirstIndex()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)) })
        {
            for (int n = 1; n <= MaxLength; n++)
            {
                for (int at = 0; at < n; at++)
                {
                    var data = new float[n];
                    data[at] = bad;
                    if (at + 1 < n)
                    {
                        data[n - 1] = float.NaN; // a later one must not win
                    }

                    Assert.Equal(at, ActivationChecks.FirstNonFinite(data));
                }
            }
        }
    }
}
