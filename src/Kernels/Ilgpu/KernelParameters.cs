namespace DeepEverest.Kernels.Ilgpu;

/// <summary>Scalar arguments of <see cref="IlgpuKernels.GroupBoundsKernel"/>.</summary>
internal readonly struct BoundsParameters(int neurons, int partitions, int bits, int stride, bool byMax, int finish, double groupSize, BoundsProblem problem)
{
    /// <summary><see cref="BoundsProblem.LowerScale"/>.</summary>
    public readonly double LowerScale = problem.LowerScale;

    /// <summary><see cref="BoundsProblem.UpperScale"/>.</summary>
    public readonly double UpperScale = problem.UpperScale;

    /// <summary><see cref="BoundsProblem.LowerSlack"/>.</summary>
    public readonly double LowerSlack = problem.LowerSlack;

    /// <summary><see cref="BoundsProblem.UpperSlack"/>.</summary>
    public readonly double UpperSlack = problem.UpperSlack;

    /// <summary>See <see cref="BoundsProblem.SqrtLowerFactor"/>.</summary>
    public readonly double SqrtLowerFactor = problem.SqrtLowerFactor;

    /// <summary>See <see cref="BoundsProblem.SqrtUpperFactor"/>.</summary>
    public readonly double SqrtUpperFactor = problem.SqrtUpperFactor;

    /// <summary>g.</summary>
    public readonly int Neurons = neurons;

    /// <summary>P.</summary>
    public readonly int Partitions = partitions;

    /// <summary>Bits per code.</summary>
    public readonly int Bits = bits;

    /// <summary>Bytes per neuron stream.</summary>
    public readonly int Stride = stride;

    /// <summary>1 when terms combine by max.</summary>
    public readonly int ByMax = byMax ? 1 : 0;

    /// <summary>A <see cref="Simd.SimdKernels.FinishKind"/> as int.</summary>
    public readonly int Finish = finish;

    /// <summary>g as a double (the divisor of the mean).</summary>
    public readonly double GroupSize = groupSize;
}

/// <summary>Scalar arguments of <see cref="IlgpuKernels.ExactCostsKernel"/>.</summary>
internal readonly struct CostParameters(int neurons, int kind, int finish, double groupSize)
{
    /// <summary>g.</summary>
    public readonly int Neurons = neurons;

    /// <summary>A <see cref="ScoreKind"/> as int.</summary>
    public readonly int Kind = kind;

    /// <summary>A <see cref="Simd.SimdKernels.FinishKind"/> as int.</summary>
    public readonly int Finish = finish;

    /// <summary>g as a double.</summary>
    public readonly double GroupSize = groupSize;
}

/// <summary>Scalar arguments of the build kernels.</summary>
internal readonly struct BuildParameters(int inputs, int partitions, int maiCount, int bits, int stride)
{
    /// <summary>n.</summary>
    public readonly int Inputs = inputs;

    /// <summary>P.</summary>
    public readonly int Partitions = partitions;

    /// <summary>MAI entries per neuron.</summary>
    public readonly int MaiCount = maiCount;

    /// <summary>Bits per code.</summary>
    public readonly int Bits = bits;

    /// <summary>Bytes per neuron stream.</summary>
    public readonly int Stride = stride;
}
