using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Runtime;

namespace DeepEverest.Kernels.Ilgpu;

/// <content>
/// <see cref="IKernels.BuildNeuronBlock"/> on the device, in four steps: a kernel turns every
/// activation into a 64-bit sort key (neuron in the high half, an order-preserving descending value
/// key in the low half) paired with its input id; one ILGPU.Algorithms radix sort of all pairs,
/// which is stable, so within a neuron equal values keep ascending ids; a kernel per sorted element
/// writes its MAI entry or code and, at partition edges, the extremes; then the host merges tied
/// partitions (<see cref="TiedPartitions"/>) and packs the codes. The validation (including the
/// finite check) runs on the host first.
/// </content>
internal sealed partial class IlgpuKernels
{
    /// <inheritdoc/>
    public void BuildNeuronBlock(
        ReadOnlySpan<float> columns,
        int neurons,
        int n,
        int partitions,
        int maiCount,
        Span<int> maiIds,
        Span<float> maiValues,
        Span<byte> codes,
        Span<float> partMin,
        Span<float> partMax)
    {
        int bits = KernelArguments.CheckBuild(columns, neurons, n, partitions, maiCount, maiIds, maiValues, codes, partMin, partMax);
        int stride = CodeLayout.StrideBytes(n, bits);
        int cells = neurons * n;
        int extremes = neurons * partitions;
        if (cells == 0)
        {
            partMin[..extremes].Fill(float.PositiveInfinity);
            partMax[..extremes].Fill(float.NegativeInfinity);
            return;
        }

        var parameters = new BuildParameters(n, partitions, maiCount, bits, stride);
        using var values = Upload(columns[..cells]);
        using var keys = _accelerator.Allocate1D<ulong>(cells);
        using var ids = _accelerator.Allocate1D<int>(cells);
        _buildKeys(cells, values.View, keys.View, ids.View, n);

        int tempSize = _accelerator.ComputeRadixSortPairsTempStorageSize<ulong, int, AscendingUInt64>(cells);
        using var temp = _accelerator.Allocate1D<int>(Math.Max(1, tempSize));
        _sortPairs(_accelerator.DefaultStream, keys.View, ids.View, temp.View);

        var initialMin = new float[extremes];
        var initialMax = new float[extremes];
        Array.Fill(initialMin, float.PositiveInfinity);
        Array.Fill(initialMax, float.NegativeInfinity);
        using var unpacked = _accelerator.Allocate1D<byte>(cells);
        using var maiIdsOut = _accelerator.Allocate1D<int>(Math.Max(1, neurons * maiCount));
        using var maiValuesOut = _accelerator.Allocate1D<float>(Math.Max(1, neurons * maiCount));
        using var minOut = Upload<float>(initialMin);
        using var maxOut = Upload<float>(initialMax);
        _buildRanks(cells, ids.View, values.View, unpacked.View, maiIdsOut.View, maiValuesOut.View, minOut.View, maxOut.View, parameters);

        _accelerator.Synchronize();
        if (maiCount > 0)
        {
            maiIdsOut.View.AsContiguous().SubView(0, neurons * maiCount).CopyToCPU(maiIds[..(neurons * maiCount)]);
            maiValuesOut.View.AsContiguous().SubView(0, neurons * maiCount).CopyToCPU(maiValues[..(neurons * maiCount)]);
        }

        minOut.View.AsContiguous().SubView(0, extremes).CopyToCPU(partMin[..extremes]);
        maxOut.View.AsContiguous().SubView(0, extremes).CopyToCPU(partMax[..extremes]);

        // The tie merge (TiedPartitions) and the packing run on the host, over the sorted ids and
        // the unpacked codes: one pass per neuron, the same code as the CPU kernels.
        var sortedIds = new int[cells];
        var rowCodes = new byte[cells];
        ids.View.AsContiguous().SubView(0, cells).CopyToCPU(sortedIds);
        unpacked.View.AsContiguous().SubView(0, cells).CopyToCPU(rowCodes);
        var order = new ulong[n];
        bool useBmi2 = System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported;
        for (int j = 0; j < neurons; j++)
        {
            for (int r = 0; r < n; r++)
            {
                order[r] = (uint)sortedIds[(j * n) + r];
            }

            Span<byte> neuronCodes = rowCodes.AsSpan(j * n, n);
            TiedPartitions.Merge(columns.Slice(j * n, n), order, maiCount, partitions, neuronCodes, partMin.Slice(j * partitions, partitions), partMax.Slice(j * partitions, partitions));
            Simd.CodePacking.Pack(neuronCodes, bits, codes.Slice(j * stride, stride), useBmi2);
        }
    }
}
