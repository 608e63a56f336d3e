namespace DeepEverest.Kernels;

/// <summary>Argument checks shared by every <see cref="IKernels"/> implementation.</summary>
internal static class KernelArguments
{
    /// <summary>Checks the arguments of <see cref="IKernels.ExactCosts"/>.</summary>
    public static void CheckExactCosts(CostFunction cost, ReadOnlySpan<float> activations, int rows, Span<double> costs)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int g = cost.GroupSize;
        if (activations.Length < (long)rows * g)
        {
            throw new ArgumentException($"{rows} rows of {g} activations need {(long)rows * g} values; got {activations.Length}.", nameof(activations));
        }

        if (costs.Length < rows)
        {
            throw new ArgumentException($"Costs need room for {rows} rows.", nameof(costs));
        }
    }
}
