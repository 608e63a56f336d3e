namespace DeepEverest.Kernels;

/// <summary>
/// The last step of <see cref="IKernels.BuildNeuronBlock"/>, the same for every backend: a value
/// that fills a whole equi-depth partition (the zeros of a ReLU layer, typically half the inputs
/// or more) gets one code for all its inputs, the code of the first partition it fills.
/// </summary>
/// <remarks>
/// Equal values are consecutive ranks, so a run of value v that fills partitions p..q also spills
/// into the ends of partitions p-1 and q+1. Moving those ranks to p leaves every partition's
/// [min, max] valid (p stays [v, v], p+1..q become empty, p-1 and q+1 only narrow), and makes every
/// input of value v exact from the index. It also leaves one symbol where the equi-depth rule wrote
/// q-p+1 symbols in id order, which is what lets block compression shrink the codes of a ReLU
/// layer (docs/storage.md).
/// </remarks>
internal static class TiedPartitions
{
    /// <summary>
    /// Rewrites one neuron's equi-depth codes and extremes so that each value filling a whole
    /// partition has a single code.
    /// </summary>
    /// <param name="column">The neuron's activations, by input id.</param>
    /// <param name="order">Its items in (value desc, id asc) order; the low 32 bits are the id.</param>
    /// <param name="maiCount">The MAI's size: ranks below it keep code 0.</param>
    /// <param name="partitions">P.</param>
    /// <param name="codes">One code per input id, as the equi-depth rule wrote them.</param>
    /// <param name="partMin">Partition minimums (value at the partition's last rank).</param>
    /// <param name="partMax">Partition maximums (value at its first rank).</param>
    public static void Merge(
        ReadOnlySpan<float> column,
        ReadOnlySpan<ulong> order,
        int maiCount,
        int partitions,
        Span<byte> codes,
        Span<float> partMin,
        Span<float> partMax)
    {
        int n = order.Length;
        long m = n - maiCount;

        // previousStart: the first rank partition p-1 still holds (an earlier run may have taken
        // its head).
        int previousStart = maiCount;
        int p = 1;
        while (p < partitions)
        {
            int from = Start(p, maiCount, m, partitions);
            int to = Start(p + 1, maiCount, m, partitions);
            if (from >= to || column[Id(order, from)] != column[Id(order, to - 1)])
            {
                previousStart = Math.Max(previousStart, from);
                p++;
                continue;
            }

            // Partition p holds one value v: take every rank of v outside the MAI.
            float v = column[Id(order, from)];
            int a = from;
            while (a > maiCount && column[Id(order, a - 1)] == v)
            {
                a--;
            }

            int b = to;
            while (b < n && column[Id(order, b)] == v)
            {
                b++;
            }

            if (a < from)
            {
                // The tail of partition p-1, which held other values too (or it would be p): it
                // keeps the ranks before a, if any.
                if (a > previousStart)
                {
                    partMin[p - 1] = column[Id(order, a - 1)];
                }
                else
                {
                    partMin[p - 1] = float.PositiveInfinity;
                    partMax[p - 1] = float.NegativeInfinity;
                }

                Recode(order, a, from, p, codes);
            }

            Recode(order, to, b, p, codes);
            partMax[p] = column[Id(order, a)];
            partMin[p] = column[Id(order, b - 1)];

            // Partitions the run fills become empty; the one it ends in keeps the ranks after it.
            int q = p + 1;
            while (q < partitions && Start(q + 1, maiCount, m, partitions) <= b)
            {
                partMin[q] = float.PositiveInfinity;
                partMax[q] = float.NegativeInfinity;
                q++;
            }

            if (q < partitions && b > Start(q, maiCount, m, partitions))
            {
                partMax[q] = column[Id(order, b)];
            }

            previousStart = b;
            p = q;
        }
    }

    /// <summary>First rank of partition p (1..P; P gives n): the kernels' equi-depth rule.</summary>
    internal static int Start(int p, int maiCount, long m, int partitions) =>
        maiCount + (int)((((long)(p - 1) * m) + partitions - 2) / (partitions - 1));

    private static int Id(ReadOnlySpan<ulong> order, int rank) => (int)(uint)order[rank];

    private static void Recode(ReadOnlySpan<ulong> order, int from, int to, int code, Span<byte> codes)
    {
        for (int r = from; r < to; r++)
        {
            codes[Id(order, r)] = (byte)code;
        }
    }
}
