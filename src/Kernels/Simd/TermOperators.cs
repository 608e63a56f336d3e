using System.Runtime.CompilerServices;


namespace DeepEverest.Kernels.Simd;

/// <summary>
/// A neuron term from an activation (<see cref="CostFunction.Term"/>), scalar and per lane, with
/// the same operation order. Multiplies and adds stay separate: RyuJIT does not contract them into
/// a fused multiply-add, which would round differently from the scalar definition.
/// </summary>
internal interface ITerm
{
    /// <summary>Scalar term of activation <paramref name="a"/> against target t with weight w.</summary>
    static abstract double Invoke(float a, double t, double w);

    /// <summary>Per-lane term; <paramref name="a"/> holds activations already widened to double.</summary>
    static abstract TVec Invoke<TVec>(TVec a, TVec t, TVec w)
        where TVec : struct, ISimdDouble<TVec>;
}

/// <summary>l2: w * ((a - t) * (a - t)).</summary>
internal readonly struct SquaredTerm : ITerm
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Invoke(float a, double t, double w)
    {
        double d = (double)a - t;
        return w * (d * d);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TVec>(TVec a, TVec t, TVec w)
        where TVec : struct, ISimdDouble<TVec>
    {
        TVec d = TVec.Subtract(a, t);
        return TVec.Multiply(w, TVec.Multiply(d, d));
    }
}

/// <summary>l1 and linf: w * |a - t|.</summary>
internal readonly struct AbsoluteTerm : ITerm
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Invoke(float a, double t, double w) => w * Math.Abs((double)a - t);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TVec>(TVec a, TVec t, TVec w)
        where TVec : struct, ISimdDouble<TVec> => TVec.Multiply(w, TVec.Abs(TVec.Subtract(a, t)));
}

/// <summary>Sum and mean: -a (negation flips the sign bit, so -(+0.0) is -0.0 in both forms).</summary>
internal readonly struct NegatedTerm : ITerm
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Invoke(float a, double t, double w) => -(double)a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TVec>(TVec a, TVec t, TVec w)
        where TVec : struct, ISimdDouble<TVec> => TVec.Negate(a);
}

/// <summary>l2 norm: -(a * a).</summary>
internal readonly struct NegatedSquareTerm : ITerm
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Invoke(float a, double t, double w)
    {
        double v = a;
        return -(v * v);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TVec>(TVec a, TVec t, TVec w)
        where TVec : struct, ISimdDouble<TVec> => TVec.Negate(TVec.Multiply(a, a));
}
