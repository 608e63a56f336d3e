namespace DeepEverest.Kernels.Tests;

public sealed class TopKOrderTests
{
    [Fact]
    public void Compare_EqualCosts_SmallerIdFirst()
    {
        Assert.True(TopKOrder.Compare(1.5, 3, 1.5, 7) < 0);
        Assert.True(TopKOrder.Compare(1.5, 7, 1.5, 3) > 0);
        Assert.Equal(0, TopKOrder.Compare(1.5, 3, 1.5, 3));
    }

    [Fact]
    public void Compare_SmallerCost_FirstWhateverTheId()
    {
        Assert.True(TopKOrder.Compare(-2.0, 9, 1.0, 0) < 0);
        Assert.True(TopKOrder.Compare((1.0, 0), (-2.0, 9)) > 0);
    }

    [Fact]
    public void Compare_NegativeAndPositiveZero_TieThenId()
    {
        Assert.True(TopKOrder.Compare(0.0, 1, -0.0, 2) < 0);
        Assert.True(TopKOrder.Compare(-0.0, 2, 0.0, 1) > 0);
    }

    [Fact]
    public void SelectTopK_RandomTies_AgreesWithSortByTopKOrder()
    {
        var rng = new Random(5);
        double[] costs = Enumerable.Range(0, 500).Select(_ => (double)rng.Next(20) - 10).ToArray();
        int[] ids = Enumerable.Range(0, 500).OrderBy(_ => rng.Next()).ToArray();
        using IKernels kernels = Simd.SimdKernels.CreateBest();
        var positions = new int[40];

        int written = kernels.SelectTopK(costs, ids, 40, positions);

        int[] expected = Enumerable.Range(0, 500).ToArray();
        Array.Sort(expected, (a, b) => TopKOrder.Compare(costs[a], ids[a], costs[b], ids[b]));
        Assert.Equal(40, written);
        Assert.Equal(expected[..40], positions);
    }
}
