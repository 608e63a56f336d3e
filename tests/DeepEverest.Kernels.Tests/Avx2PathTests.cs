using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepEverest.Kernels.Simd;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// Which lookup the 256-bit path's bounds passes use, so that <see cref="SimdVector256KernelTests"/>
/// is known to cover the AVX2 byte-shuffle passes (P &lt;= 16) and the gathers (P &gt;= 32).
/// </summary>
public sealed class Avx2PathTests
{
    /// <summary>Why these tests are skipped here, or null.</summary>
    public static string? SkipReason => Vector256.IsHardwareAccelerated && Avx2.IsSupported ? null : "AVX2 is not available on this machine or run.";

    [KernelFact]
    public void BoundsPlan_Vector256_ShufflesBytesUpTo16PartitionsAndGathersBeyond()
    {
        var rng = new Random(31);
        foreach (int partitions in new[] { 2, 4, 8, 16, 32, 256 })
        {
            BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.L2, 3, weighted: false), 100, partitions, 2, emptyPartitions: false);
            var plan = new BoundsPlan(problem, SimdPath.Vector256, multiShift: true);
            Assert.Equal(partitions <= 16 ? LookupKind.Shuffle16 : LookupKind.Gather256, plan.Lookup);
            Assert.Equal(partitions <= 16 ? 3 * 128 : 0, plan.TableBytes.Length);
            Assert.Equal(partitions < 16 ? 256 : 0, plan.DecodeConstants.Length);
        }
    }

    [KernelFact]
    public void BoundsPlan_ShuffleTables_HoldEachTermsBytesInBothLanes()
    {
        var rng = new Random(32);
        BoundsProblem problem = TestData.Problem(rng, TestData.Cost(rng, ScoreKind.Sum, 2, weighted: false), 50, 4, 1, emptyPartitions: false);
        var plan = new BoundsPlan(problem, SimdPath.Vector256, multiShift: true);
        for (int j = 0; j < 2; j++)
        {
            for (int c = 0; c < 16; c++)
            {
                // P = 4 repeats every 4 entries; each 16-bit term splits into a low and a high byte.
                short lower = (short)problem.CoarseLower[(j * 4) + (c % 4)];
                short upper = (short)problem.CoarseUpper[(j * 4) + (c % 4)];
                foreach (int lane in new[] { 0, 16 })
                {
                    int at = (j * 128) + lane + c;
                    Assert.Equal(lower, (short)(plan.TableBytes[at] | (plan.TableBytes[at + 32] << 8)));
                    Assert.Equal(upper, (short)(plan.TableBytes[at + 64] | (plan.TableBytes[at + 96] << 8)));
                }
            }
        }
    }
}
