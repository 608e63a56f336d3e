using DeepEverest.Core.Storage;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Bounds;

/// <summary>
/// What the index says of one input's activations in a summary segment, neuron by neuron: the
/// interval of the partition its code names, or its exact value when it is in the neuron's MAI.
/// Reads the group's packed codes directly (one input at a time).
/// </summary>
internal sealed class SegmentBoxes
{
    private readonly GroupIndexData _data;
    private readonly int[][] _positions;
    private readonly int _partitions;
    private readonly int _bits;
    private readonly int _stride;
    private readonly int[][] _maiIds;
    private readonly float[][] _maiValues;

    /// <summary>Prepares the boxes of the segments whose neurons sit at <paramref name="positions"/> of the group.</summary>
    public SegmentBoxes(GroupIndexData data, int[][] positions, int inputs, int partitions)
    {
        _data = data;
        _positions = positions;
        _partitions = partitions;
        _bits = CodeLayout.BitsFor(partitions);
        _stride = CodeLayout.StrideBytes(inputs, _bits);
        int g = data.MaiIds.Length;
        _maiIds = new int[g][];
        _maiValues = new float[g][];
        foreach (int[] segment in positions)
        {
            foreach (int p in segment)
            {
                // The index keeps MAI entries by value; lookups by id need them by id.
                int[] ids = data.MaiIds[p].ToArray();
                float[] values = data.MaiValues[p].ToArray();
                Array.Sort(ids, values);
                _maiIds[p] = ids;
                _maiValues[p] = values;
            }
        }
    }

    /// <summary>The intervals of input <paramref name="input"/>'s activations in segment s, in segment order.</summary>
    public void Fill(int segment, int input, Span<float> lower, Span<float> upper)
    {
        int[] positions = _positions[segment];
        long bit = (long)input * _bits;
        int at = (int)(bit >> 3);
        int shift = (int)(bit & 7);
        int mask = (1 << _bits) - 1;
        for (int q = 0; q < positions.Length; q++)
        {
            int p = positions[q];
            int offset = (p * _stride) + at;
            int word = _data.Codes[offset] | (at + 1 < _stride ? _data.Codes[offset + 1] << 8 : 0);
            int code = (word >> shift) & mask;
            if (code == 0)
            {
                int e = Array.BinarySearch(_maiIds[p], input);
                if (e >= 0)
                {
                    lower[q] = upper[q] = _maiValues[p][e];
                    continue;
                }
            }

            lower[q] = _data.PartMin[(p * _partitions) + code];
            upper[q] = _data.PartMax[(p * _partitions) + code];
        }
    }

    /// <summary>The target's activations of segment s, in segment order.</summary>
    public void Target(int segment, CostFunction cost, Span<float> target)
    {
        int[] positions = _positions[segment];
        for (int q = 0; q < positions.Length; q++)
        {
            target[q] = cost.Target[positions[q]];
        }
    }
}
