namespace DeepEverest.Kernels.Tests;

/// <summary>
/// Every kernel of <see cref="IKernels"/> against <see cref="ScalarReference"/>, bit for bit. One
/// concrete class per implementation (each SIMD width, ILGPU's CPU accelerator); a concrete class
/// skips all of it with a visible reason when its implementation cannot run here.
/// </summary>
public abstract partial class KernelContractTests
{
    /// <summary>Inputs of one "two widest vectors plus one": 2 x 8 doubles + 1.</summary>
    protected const int ShortLengths = (2 * 8) + 1;

    /// <summary>The implementation under test.</summary>
    protected abstract IKernels Kernels { get; }

    /// <summary>
    /// True for the slow ILGPU CPU emulator: loops over fewer cases and uses small inputs where the
    /// SIMD paths use full-size ones.
    /// </summary>
    protected virtual bool IsEmulator => false;

    /// <summary>n of the "large" cases (70,000 on SIMD).</summary>
    protected virtual int LargeInputs => 70_000;

    /// <summary>The lengths 1 .. two widest vectors + 1 (a sample of them on the emulator).</summary>
    protected IEnumerable<int> ShortRange => IsEmulator ? [1, 2, 7, 9, ShortLengths] : Enumerable.Range(1, ShortLengths);

    /// <summary>Partition counts with bits 1, 3, 4, 5, 7, 8 (3, 5 and 7 straddle bytes).</summary>
    protected static int[] PartitionCounts { get; } = [2, 8, 16, 32, 128, 256];

    [KernelFact]
    public void Name_Always_IsNotEmpty()
    {
        Assert.False(string.IsNullOrWhiteSpace(Kernels.Name));
    }
}
