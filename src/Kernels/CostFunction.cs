namespace DeepEverest.Kernels;

/// <summary>
/// A query's cost over a group of g neurons: the scalar definition every kernel must reproduce bit
/// for bit. Terms are computed in double from float activations and combined in group order
/// (sum, or max for <see cref="ScoreKind.LInf"/>) starting from 0, then finished
/// (sqrt for L2, negated sqrt for L2Norm, division by g for Mean).
/// </summary>
public sealed class CostFunction
{
    private readonly float[] _target;
    private readonly float[] _weights;

    /// <summary>Creates a cost function.</summary>
    /// <param name="kind">What is ranked.</param>
    /// <param name="groupSize">g, the number of neurons in the group (at least 1).</param>
    /// <param name="target">The target's g finite activations (distances only; ignored for aggregates).</param>
    /// <param name="weights">g finite non-negative weights (distances only), or empty for all 1.</param>
    public CostFunction(ScoreKind kind, int groupSize, ReadOnlySpan<float> target, ReadOnlySpan<float> weights)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        Kind = kind;
        GroupSize = groupSize;
        if (IsDistance)
        {
            if (target.Length != groupSize)
            {
                throw new ArgumentException($"Target has {target.Length} values; the group has {groupSize} neurons.", nameof(target));
            }

            int bad = ActivationChecks.FirstNonFinite(target);
            if (bad >= 0)
            {
                // Costs, bounds and the coarse bounds' widening assume finite terms.
                throw new ArgumentException($"The target's activation of group neuron {bad} is {target[bad]}: distances to a non-finite target are undefined.", nameof(target));
            }

            _target = target.ToArray();
        }
        else
        {
            _target = new float[groupSize];
        }

        if (!weights.IsEmpty)
        {
            if (!IsDistance)
            {
                throw new ArgumentException("Weights apply to distances only.", nameof(weights));
            }

            if (weights.Length != groupSize)
            {
                throw new ArgumentException($"Got {weights.Length} weights for a group of {groupSize} neurons.", nameof(weights));
            }

            foreach (float w in weights)
            {
                if (!float.IsFinite(w) || w < 0)
                {
                    throw new ArgumentException("Weights must be finite and non-negative.", nameof(weights));
                }
            }
        }

        _weights = weights.IsEmpty ? [] : weights.ToArray();
    }

    /// <summary>What is ranked.</summary>
    public ScoreKind Kind { get; }

    /// <summary>Number of neurons g.</summary>
    public int GroupSize { get; }

    /// <summary>True for l2, l1 and linf.</summary>
    public bool IsDistance => Kind is ScoreKind.L2 or ScoreKind.L1 or ScoreKind.LInf;

    /// <summary>True when terms combine by max (linf) rather than by sum.</summary>
    public bool CombinesByMax => Kind == ScoreKind.LInf;

    /// <summary>Target activations (g values; zeros for aggregates).</summary>
    public ReadOnlySpan<float> Target => _target;

    /// <summary>Weights (g values), or empty when all weights are 1.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>Weight of neuron j as a double (1 when unweighted).</summary>
    public double Weight(int j) => _weights.Length == 0 ? 1.0 : _weights[j];

    /// <summary>The term of neuron j for activation a.</summary>
    public double Term(int j, float a)
    {
        switch (Kind)
        {
            case ScoreKind.L2:
                {
                    double d = (double)a - _target[j];
                    return Weight(j) * (d * d);
                }

            case ScoreKind.L1:
            case ScoreKind.LInf:
                return Weight(j) * Math.Abs((double)a - _target[j]);
            case ScoreKind.Sum:
            case ScoreKind.Mean:
                return -(double)a;
            case ScoreKind.L2Norm:
                {
                    double v = a;
                    return -(v * v);
                }

            default:
                throw new InvalidOperationException($"Unknown score kind {Kind}.");
        }
    }

    /// <summary>
    /// The smallest and largest term of neuron j over activations in [lo, hi] (lo &lt;= hi), with
    /// the same arithmetic as <see cref="Term"/>, so that lower &lt;= Term(j, a) &lt;= upper for every
    /// float a in [lo, hi].
    /// </summary>
    public (double Lower, double Upper) IntervalTerm(int j, float lo, float hi)
    {
        switch (Kind)
        {
            case ScoreKind.Sum:
            case ScoreKind.Mean:
                return (Term(j, hi), Term(j, lo));
            case ScoreKind.L2Norm:
                {
                    double atLo = Term(j, lo);
                    double atHi = Term(j, hi);
                    double upper = lo <= 0 && hi >= 0 ? Term(j, 0f) : Math.Max(atLo, atHi);
                    return (Math.Min(atLo, atHi), upper);
                }

            default:
                {
                    float t = _target[j];
                    double atLo = Term(j, lo);
                    double atHi = Term(j, hi);
                    double lower = t >= lo && t <= hi ? Term(j, t) : Math.Min(atLo, atHi);
                    return (lower, Math.Max(atLo, atHi));
                }
        }
    }

    /// <summary>Combines an accumulator with the next neuron's term.</summary>
    public double Combine(double acc, double term) => CombinesByMax ? Math.Max(acc, term) : acc + term;

    /// <summary>Turns the combined terms into the cost.</summary>
    public double Finish(double acc) => Kind switch
    {
        ScoreKind.L2 => Math.Sqrt(acc),
        ScoreKind.Mean => acc / GroupSize,
        ScoreKind.L2Norm => -Math.Sqrt(-acc),
        _ => acc,
    };

    /// <summary>
    /// The reported score for a cost: the distance itself, or the aggregate (the negated cost).
    /// </summary>
    public double ToScore(double cost) => IsDistance ? cost : -cost;

    /// <summary>Exact cost of one activation vector of the group (the scalar reference).</summary>
    public double Cost(ReadOnlySpan<float> activations)
    {
        double acc = 0;
        for (int j = 0; j < GroupSize; j++)
        {
            acc = Combine(acc, Term(j, activations[j]));
        }

        return Finish(acc);
    }
}
