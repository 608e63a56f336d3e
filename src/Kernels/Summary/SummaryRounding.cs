using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DeepEverest.Kernels.Summary;

/// <summary>
/// The directed rounding and comparisons of the summary bounds, written so that ILGPU compiles
/// them: no BCL call whose device mapping differs from .NET's. <see cref="Down"/> and
/// <see cref="Up"/> are <see cref="Math.BitDecrement"/> and <see cref="Math.BitIncrement"/> step
/// by step on the bits (±0, ±infinity and NaN included); <see cref="Max"/>, <see cref="Min"/> and
/// <see cref="Clamp"/> are .NET's (NaN propagates, +0.0 beats -0.0 in Max), because PTX
/// <c>max.f64</c> / <c>min.f64</c> drop NaN. OperatorTests checks each against the BCL.
/// </summary>
internal static class SummaryRounding
{
    private const ulong SignBit = 0x8000_0000_0000_0000;
    private const ulong ExponentBits = 0x7FF0_0000_0000_0000;
    private const ulong NegativeInfinityBits = 0xFFF0_0000_0000_0000;

    /// <summary>The next double toward -infinity: x rounded down after one round-to-nearest operation.</summary>
    public static double Down(double x)
    {
        ulong bits = Interop.FloatAsInt(x);
        if ((bits & ExponentBits) == ExponentBits)
        {
            // NaN stays; +infinity steps to MaxValue; -infinity stays.
            return bits == ExponentBits ? double.MaxValue : x;
        }

        if (bits == 0)
        {
            return -double.Epsilon;
        }

        // Magnitude grows for negatives (including -0.0 -> -Epsilon), shrinks for positives.
        return Interop.IntAsFloat((bits & SignBit) != 0 ? bits + 1 : bits - 1);
    }

    /// <summary>The next double toward +infinity.</summary>
    public static double Up(double x)
    {
        ulong bits = Interop.FloatAsInt(x);
        if ((bits & ExponentBits) == ExponentBits)
        {
            // NaN stays; -infinity steps to MinValue; +infinity stays.
            return bits == NegativeInfinityBits ? double.MinValue : x;
        }

        if (bits == SignBit)
        {
            return double.Epsilon;
        }

        return Interop.IntAsFloat((bits & SignBit) != 0 ? bits - 1 : bits + 1);
    }

    /// <summary>
    /// A lower bound of the square root of a real number that is at least <paramref name="x"/> and
    /// at least 0: never NaN, also when x, moved one ulp down from 0, is slightly negative.
    /// </summary>
    public static double SqrtDown(double x) => x > 0 ? Max(0, Down(Math.Sqrt(x))) : 0;

    /// <summary>Whether x is neither infinite nor NaN (<see cref="double.IsFinite"/>).</summary>
    public static bool IsFinite(double x) => (Interop.FloatAsInt(x) & ExponentBits) != ExponentBits;

    /// <summary><see cref="Math.Max(double, double)"/>: NaN propagates, +0.0 beats -0.0.</summary>
    public static double Max(double a, double b)
    {
        if (a != b)
        {
            return double.IsNaN(a) ? a : (b < a ? a : b);
        }

        return (Interop.FloatAsInt(b) & SignBit) != 0 ? a : b;
    }

    /// <summary><see cref="Math.Min(double, double)"/>: NaN propagates, -0.0 beats +0.0.</summary>
    public static double Min(double a, double b)
    {
        if (a != b)
        {
            return double.IsNaN(a) ? a : (a < b ? a : b);
        }

        return (Interop.FloatAsInt(a) & SignBit) != 0 ? a : b;
    }

    /// <summary><see cref="Math.Clamp(double, double, double)"/> for min &lt;= max (callers' boxes are ordered).</summary>
    public static double Clamp(double value, double min, double max) => value < min ? min : (value > max ? max : value);

    /// <summary>The larger of a lower bound and a candidate, ignoring a NaN candidate.</summary>
    public static double TightenLower(double lower, double candidate) => candidate > lower ? candidate : lower;

    /// <summary>The smaller of an upper bound and a candidate, ignoring a NaN candidate.</summary>
    public static double TightenUpper(double upper, double candidate) => candidate < upper ? candidate : upper;

    /// <summary>
    /// a * b rounded to nearest, never fused with a following add: on CUDA an inline
    /// <c>mul.rn.f64</c>, because ptxas may contract ILGPU's plain <c>mul.f64</c> into an FMA.
    /// </summary>
    public static double Mul(double a, double b)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("mul.rn.f64 %0, %1, %2;", out double r, a, b);
            return r;
        }

        return a * b;
    }
}
