namespace DeepEverest.Kernels.Simd;

/// <summary>
/// Per-call constants of <see cref="SimdKernels.ExactCosts"/>: target and weights as doubles (the
/// values the scalar definition converts to), and the finishing step.
/// </summary>
internal sealed class CostPlan
{
    /// <summary>Prepares <paramref name="cost"/>.</summary>
    public CostPlan(CostFunction cost)
    {
        Neurons = cost.GroupSize;
        Target = new double[Neurons];
        Weight = new double[Neurons];
        ReadOnlySpan<float> target = cost.Target;
        for (int j = 0; j < Neurons; j++)
        {
            Target[j] = target[j];
            Weight[j] = cost.Weight(j);
        }

        Finish = SimdKernels.FinishOf(cost);
    }

    /// <summary>g.</summary>
    public int Neurons { get; }

    /// <summary>Target activation of each neuron, widened to double.</summary>
    public double[] Target { get; }

    /// <summary>Weight of each neuron (1 when unweighted; multiplying by 1.0 is exact).</summary>
    public double[] Weight { get; }

    /// <summary>The finishing step.</summary>
    public SimdKernels.FinishKind Finish { get; }
}
