using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// The radix scatter without bounds checks, and the parallel driver of
/// <see cref="IKernels.BuildNeuronBlock"/> (one neuron per work item, one scratch per thread).
/// </content>
internal sealed partial class SimdKernels
{
    /// <summary>One stable counting pass: items go to their digit's next slot, in input order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scatter(ulong[] source, ulong[] target, int n, int shift, Span<int> offsets)
    {
        ref ulong src = ref MemoryMarshal.GetArrayDataReference(source);
        ref ulong dst = ref MemoryMarshal.GetArrayDataReference(target);
        ref int next = ref MemoryMarshal.GetReference(offsets);
        for (int i = 0; i < n; i++)
        {
            ulong item = Unsafe.Add(ref src, i);
            ref int slot = ref Unsafe.Add(ref next, (int)((item >> shift) & (BuildScratch.Buckets - 1)));
            Unsafe.Add(ref dst, slot) = item;
            slot++;
        }
    }

    private unsafe void BuildParallel(
        ReadOnlySpan<float> columns,
        int neurons,
        int n,
        int partitions,
        int maiCount,
        int bits,
        Span<int> maiIds,
        Span<float> maiValues,
        Span<byte> codes,
        Span<float> partMin,
        Span<float> partMax)
    {
        int stride = CodeLayout.StrideBytes(n, bits);
        bool useBmi2 = UseBmi2;
        fixed (float* pColumns = columns, pMaiValues = maiValues, pMin = partMin, pMax = partMax)
        fixed (int* pMaiIds = maiIds)
        fixed (byte* pCodes = codes)
        {
            // Spans cannot enter a lambda; the pinned addresses can, and stay valid until the loop ends.
            var at = new BuildAddresses((nint)pColumns, (nint)pMaiIds, (nint)pMaiValues, (nint)pCodes, (nint)pMin, (nint)pMax);
            Parallel.For(
                0,
                neurons,
                () => new BuildScratch(n),
                (j, _, scratch) =>
                {
                    BuildNeuron(
                        new ReadOnlySpan<float>((float*)at.Columns + ((long)j * n), n),
                        partitions,
                        bits,
                        new Span<int>((int*)at.MaiIds + ((long)j * maiCount), maiCount),
                        new Span<float>((float*)at.MaiValues + ((long)j * maiCount), maiCount),
                        new Span<byte>((byte*)at.Codes + ((long)j * stride), stride),
                        new Span<float>((float*)at.PartMin + ((long)j * partitions), partitions),
                        new Span<float>((float*)at.PartMax + ((long)j * partitions), partitions),
                        scratch,
                        useBmi2);
                    return scratch;
                },
                _ => { });
        }
    }

    /// <summary>Pinned addresses of the build's inputs and outputs.</summary>
    private readonly record struct BuildAddresses(nint Columns, nint MaiIds, nint MaiValues, nint Codes, nint PartMin, nint PartMax);
}
