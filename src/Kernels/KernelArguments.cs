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

    /// <summary>Checks the arguments of <see cref="IKernels.GroupBounds"/>.</summary>
    public static void CheckBounds(BoundsProblem problem, Span<double> lower, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(problem);
        int n = problem.Inputs;
        if (lower.Length < n || upper.Length < n)
        {
            throw new ArgumentException($"Bounds need room for {n} inputs.", lower.Length < n ? nameof(lower) : nameof(upper));
        }
    }

    /// <summary>Checks the arguments of <see cref="IKernels.RefineBounds"/>.</summary>
    public static void CheckRefine(BoundsProblem problem, ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (lower.Length < inputs.Length || upper.Length < inputs.Length)
        {
            throw new ArgumentException($"Bounds need room for {inputs.Length} inputs.", lower.Length < inputs.Length ? nameof(lower) : nameof(upper));
        }

        foreach (int id in inputs)
        {
            if ((uint)id >= (uint)problem.Inputs)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), id, $"Inputs are 0..{problem.Inputs - 1}.");
            }
        }
    }

    /// <summary>Checks the arguments of <see cref="IKernels.BuildNeuronBlock"/>; returns bits per code.</summary>
    public static int CheckBuild(
        ReadOnlySpan<float> columns,
        int neurons,
        int n,
        int partitions,
        int maiCount,
        ReadOnlySpan<int> maiIds,
        ReadOnlySpan<float> maiValues,
        ReadOnlySpan<byte> codes,
        ReadOnlySpan<float> partMin,
        ReadOnlySpan<float> partMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(neurons);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int bits = CodeLayout.BitsFor(partitions);
        if (maiCount < 0 || maiCount > n)
        {
            throw new ArgumentOutOfRangeException(nameof(maiCount), maiCount, $"The MAI size must lie in [0, n = {n}].");
        }

        long cells = (long)neurons * n;
        Require(columns.Length >= cells, nameof(columns), $"{neurons} neurons x {n} inputs need {cells} activations");
        Require(maiIds.Length >= (long)neurons * maiCount, nameof(maiIds), "MAI ids need neurons x maiCount entries");
        Require(maiValues.Length >= (long)neurons * maiCount, nameof(maiValues), "MAI values need neurons x maiCount entries");
        Require(codes.Length >= (long)neurons * CodeLayout.StrideBytes(n, bits), nameof(codes), "codes need neurons x stride bytes");
        Require(partMin.Length >= (long)neurons * partitions, nameof(partMin), "partition minima need neurons x P entries");
        Require(partMax.Length >= (long)neurons * partitions, nameof(partMax), "partition maxima need neurons x P entries");

        int bad = ActivationChecks.FirstNonFinite(columns[..(int)cells]);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"Activation of neuron {bad / n} for input {bad % n} is {columns[bad]}; an index accepts finite values only.",
                nameof(columns));
        }

        return bits;
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message + ".", name);
        }
    }

    /// <summary>Checks the arguments of <see cref="IKernels.SummaryBounds"/> and <see cref="IKernels.SummaryDualLower"/>.</summary>
    public static void CheckSummary(SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower, Span<double> upper)
    {
        ArgumentNullException.ThrowIfNull(problem);
        int count = inputs.Length;
        if (lower.Length < count || upper.Length < count)
        {
            throw new ArgumentException($"Bounds need room for {count} inputs.", lower.Length < count ? nameof(lower) : nameof(upper));
        }

        if (residualLower.Length != residualUpper.Length || (!residualLower.IsEmpty && residualLower.Length < count))
        {
            throw new ArgumentException($"Residual bounds need both ends of {count} inputs, or none.", nameof(residualLower));
        }

        foreach (int i in inputs)
        {
            if ((uint)i >= (uint)problem.Inputs)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), i, $"Inputs are ids in [0, {problem.Inputs}).");
            }
        }
    }
}
