using System.Numerics;
using System.Runtime.Intrinsics;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// The per-lane operations the kernels rely on behave exactly like the scalar ones at every width,
/// including the edge cases (NaN, signed zeros) where vector instructions usually differ.
/// </summary>
public sealed class OperatorTests
{
    private static readonly double[] _edges = [0.0, -0.0, double.NaN, 1.0, -1.0, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, 2.5];

    [Fact]
    public void MaxCombine_EveryWidth_MatchesMathMax()
    {
        CheckPairs<Double512>((a, b) => MaxCombine.Invoke(a, b), Math.Max, Vector512.IsHardwareAccelerated);
        CheckPairs<Double256>((a, b) => MaxCombine.Invoke(a, b), Math.Max, Vector256.IsHardwareAccelerated);
        CheckPairs<DoubleT>((a, b) => MaxCombine.Invoke(a, b), Math.Max, Vector.IsHardwareAccelerated);
        foreach (double a in _edges)
        {
            foreach (double b in _edges)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Max(a, b)), BitConverter.DoubleToInt64Bits(MaxCombine.Invoke(a, b)));
            }
        }
    }

    [Fact]
    public void SumCombine_EveryWidth_MatchesScalarAdd()
    {
        CheckPairs<Double512>((a, b) => SumCombine.Invoke(a, b), (a, b) => a + b, Vector512.IsHardwareAccelerated);
        CheckPairs<Double256>((a, b) => SumCombine.Invoke(a, b), (a, b) => a + b, Vector256.IsHardwareAccelerated);
        CheckPairs<DoubleT>((a, b) => SumCombine.Invoke(a, b), (a, b) => a + b, Vector.IsHardwareAccelerated);
    }

    [Fact]
    public void NegatedTerm_EveryWidth_FlipsTheSignOfZero()
    {
        CheckPairs<Double512>((a, _) => NegatedTerm.Invoke(a, a, a), (a, _) => -a, Vector512.IsHardwareAccelerated);
        CheckPairs<Double256>((a, _) => NegatedTerm.Invoke(a, a, a), (a, _) => -a, Vector256.IsHardwareAccelerated);
        CheckPairs<DoubleT>((a, _) => NegatedTerm.Invoke(a, a, a), (a, _) => -a, Vector.IsHardwareAccelerated);
    }

    [Fact]
    public void Finish_EveryKindAndWidth_MatchesCostFunction()
    {
        foreach (SimdKernels.FinishKind kind in Enum.GetValues<SimdKernels.FinishKind>())
        {
            CheckPairs<Double512>((a, g) => SimdKernels.Finish(a, kind, g), (a, g) => SimdKernels.Finish(a, kind, g), Vector512.IsHardwareAccelerated);
            CheckPairs<Double256>((a, g) => SimdKernels.Finish(a, kind, g), (a, g) => SimdKernels.Finish(a, kind, g), Vector256.IsHardwareAccelerated);
            CheckPairs<DoubleT>((a, g) => SimdKernels.Finish(a, kind, g), (a, g) => SimdKernels.Finish(a, kind, g), Vector.IsHardwareAccelerated);
        }
    }

    private static void CheckPairs<TVec>(Func<TVec, TVec, TVec> vector, Func<double, double, double> scalar, bool accelerated)
        where TVec : struct, ISimdDouble<TVec>
    {
        if (!accelerated)
        {
            return; // that width does not run here; its kernels are skipped too
        }

        int width = TVec.Count;
        var a = new double[width];
        var b = new double[width];
        var result = new double[width];
        for (int x = 0; x < _edges.Length; x++)
        {
            for (int y = 0; y < _edges.Length; y += width)
            {
                for (int k = 0; k < width; k++)
                {
                    a[k] = _edges[x];
                    b[k] = _edges[(y + k) % _edges.Length];
                }

                TVec.CopyTo(vector(TVec.Create(a), TVec.Create(b)), result);
                for (int k = 0; k < width; k++)
                {
                    double expected = scalar(a[k], b[k]);
                    Assert.True(
                        BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(result[k]) || (double.IsNaN(expected) && double.IsNaN(result[k])),
                        $"{typeof(TVec).Name}({a[k]}, {b[k]}): expected {expected}, got {result[k]}");
                }
            }
        }
    }
}
