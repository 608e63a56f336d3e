namespace DeepEverest.Kernels.Summary;

/// <summary>
/// The scalars of a <see cref="SummaryProblem"/> that <see cref="SummaryArithmetic.Cost"/> needs,
/// as an unmanaged struct: ILGPU passes it to the summary kernels as it is.
/// </summary>
internal readonly struct SummaryParameters(SummaryProblem problem)
{
    /// <summary>The cost's <see cref="ScoreKind"/> as int.</summary>
    public readonly int Kind = (int)problem.Cost.Kind;

    /// <summary>1 when terms combine by max (linf).</summary>
    public readonly int ByMax = problem.Cost.CombinesByMax ? 1 : 0;

    /// <summary>1 when <see cref="SummaryProblem.SameSign"/>.</summary>
    public readonly int SameSign = problem.SameSign ? 1 : 0;

    /// <summary>S.</summary>
    public readonly int Segments = problem.SegmentCount;

    /// <summary>g (the divisor of the mean).</summary>
    public readonly int GroupSize = problem.Cost.GroupSize;

    /// <summary>n, the stride of the per-segment summaries on the device.</summary>
    public readonly int Inputs = problem.Inputs;

    /// <summary><see cref="SummaryProblem.ResidualMagnitude"/>.</summary>
    public readonly double ResidualMagnitude = problem.ResidualMagnitude;

    /// <summary><see cref="SummaryProblem.Eta"/>.</summary>
    public readonly double Eta = problem.Eta;
}
