using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <content>
/// <see cref="IKernels.SelectTopK"/> and <see cref="IKernels.SelectAtMost"/>. Both scan with a
/// vector compare against a limit and look at single lanes only where some lane passes; NaN fails
/// every ordered compare, so NaN values are never selected.
/// </content>
internal sealed partial class SimdKernels
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int SelectTopK(ReadOnlySpan<double> costs, ReadOnlySpan<int> ids, int k, Span<int> positions)
    {
        if (ids.Length != costs.Length)
        {
            throw new ArgumentException($"Got {ids.Length} ids for {costs.Length} costs.", nameof(ids));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int want = Math.Min(k, costs.Length);
        if (positions.Length < want)
        {
            throw new ArgumentException($"Positions need room for {want} entries.", nameof(positions));
        }

        if (want == 0)
        {
            return 0;
        }

        var heap = new TopKHeap(costs, ids, want);
        int i = 0;

        // Fill the heap with the first `want` non-NaN entries; from then on only entries that can
        // enter it (cost <= the current worst) need a look.
        for (; i < costs.Length && heap.Count < want; i++)
        {
            if (!double.IsNaN(costs[i]))
            {
                heap.Push(i);
            }
        }

        if (i < costs.Length)
        {
            i = Path switch
            {
                SimdPath.Vector512 => ScanTopK<Double512>(costs, i, ref heap),
                SimdPath.Vector256 => ScanTopK<Double256>(costs, i, ref heap),
                SimdPath.VectorT => ScanTopK<DoubleT>(costs, i, ref heap),
                _ => i,
            };
            for (; i < costs.Length; i++)
            {
                heap.Offer(i);
            }
        }

        return heap.DrainSorted(positions);
    }

    /// <inheritdoc/>
    public int SelectAtMost(ReadOnlySpan<double> values, double limit, Span<int> positions)
    {
        int i = 0;
        int count = 0;
        switch (Path)
        {
            case SimdPath.Vector512 when Avx512F.VL.IsSupported:
                i = ScanAtMostCompress(values, limit, positions, ref count);
                i += ScanAtMost<Double512>(values[i..], limit, positions, ref count, i);
                break;
            case SimdPath.Vector512:
                i = ScanAtMost<Double512>(values, limit, positions, ref count, 0);
                break;
            case SimdPath.Vector256:
                i = ScanAtMost<Double256>(values, limit, positions, ref count, 0);
                break;
            case SimdPath.VectorT:
                i = ScanAtMost<DoubleT>(values, limit, positions, ref count, 0);
                break;
        }

        for (; i < values.Length; i++)
        {
            if (values[i] <= limit)
            {
                Append(positions, ref count, i);
            }
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ScanTopK<TVec>(ReadOnlySpan<double> costs, int i, ref TopKHeap heap)
        where TVec : struct, ISimdDouble<TVec>
    {
        int width = TVec.Count;
        TVec limit = TVec.Create(heap.WorstCost);
        for (; i <= costs.Length - width; i += width)
        {
            // <= keeps ties with the worst cost: a smaller id may still replace it.
            if (TVec.LessThanOrEqualAny(TVec.Create(costs.Slice(i, width)), limit))
            {
                for (int k = 0; k < width; k++)
                {
                    heap.Offer(i + k);
                }

                limit = TVec.Create(heap.WorstCost);
            }
        }

        return i;
    }

    /// <summary>
    /// Scans whole vectors of <paramref name="values"/>, whose first element is at position
    /// <paramref name="offset"/>; returns how many values it covered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ScanAtMost<TVec>(ReadOnlySpan<double> values, double limit, Span<int> positions, ref int count, int offset)
        where TVec : struct, ISimdDouble<TVec>
    {
        int width = TVec.Count;
        TVec bound = TVec.Create(limit);
        int i = 0;
        for (; i <= values.Length - width; i += width)
        {
            TVec v = TVec.Create(values.Slice(i, width));
            if (TVec.LessThanOrEqualAll(v, bound))
            {
                if (positions.Length - count < width)
                {
                    ThrowPositionsFull(positions.Length);
                }

                for (int k = 0; k < width; k++)
                {
                    positions[count + k] = offset + i + k;
                }

                count += width;
            }
            else if (TVec.LessThanOrEqualAny(v, bound))
            {
                for (int k = 0; k < width; k++)
                {
                    if (values[i + k] <= limit)
                    {
                        Append(positions, ref count, offset + i + k);
                    }
                }
            }
        }

        return i;
    }

    private static void Append(Span<int> positions, ref int count, int position)
    {
        if (count == positions.Length)
        {
            ThrowPositionsFull(positions.Length);
        }

        positions[count++] = position;
    }

    private static void ThrowPositionsFull(int length) =>
        throw new ArgumentException($"More than {length} values pass the limit; the positions span is too small.", "positions");
}
