namespace DeepEverest.Kernels;

/// <summary>
/// What a query ranks by. Every kind is expressed as a <em>cost</em>, where smaller is better, so one
/// set of kernels serves both query types: distances are costs as they are; for aggregates the
/// cost is the negated aggregate (highest aggregate = lowest cost). Ties are broken by input id,
/// ascending, everywhere.
/// </summary>
public enum ScoreKind
{
    /// <summary>Weighted Euclidean distance: sqrt(sum_j w_j (a_j - t_j)^2).</summary>
    L2 = 0,

    /// <summary>Weighted Manhattan distance: sum_j w_j |a_j - t_j|.</summary>
    L1 = 1,

    /// <summary>Weighted Chebyshev distance: max_j w_j |a_j - t_j|.</summary>
    LInf = 2,

    /// <summary>Sum of activations; cost = -sum_j a_j.</summary>
    Sum = 3,

    /// <summary>Mean of activations; cost = -(sum_j a_j) / g.</summary>
    Mean = 4,

    /// <summary>Euclidean norm of activations; cost = -sqrt(sum_j a_j^2).</summary>
    L2Norm = 5,
}
