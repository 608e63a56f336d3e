namespace DeepEverest.Kernels.Tests;

/// <summary>What a <see cref="CostFunction"/> accepts.</summary>
public sealed class CostFunctionTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void CostFunction_NonFiniteTarget_ThrowsArgument(float value)
    {
        // Costs, bounds and the coarse widening assume finite terms; a target that overflowed
        // inside the network is refused where every caller builds its cost.
        var ex = Assert.Throws<ArgumentException>(() => new CostFunction(ScoreKind.L2, 3, [1f, value, 2f], []));

        Assert.Contains("group neuron 1", ex.Message, StringComparison.Ordinal);
    }
}
