using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Indexing;

/// <summary>
/// How a layer's channels are cut into summary segments (docs/large-groups.md): dimension 0 is the
/// channel; each channel's <see cref="ChannelSize"/> flat neurons (all positions, row-major) are cut
/// into bands of whole rows of dimension 1, the segments. Per input and segment the index keeps the
/// sum and the sum of squares of the segment's activations.
/// </summary>
/// <param name="Channels">Size of dimension 0.</param>
/// <param name="ChannelSize">Neurons per channel: the product of the other dimensions.</param>
/// <param name="Offsets">Segment boundaries within a channel, in flat neurons: 0 first, ChannelSize last.</param>
public sealed record SummaryLayout(int Channels, int ChannelSize, int[] Offsets)
{
    /// <summary>Largest share of the float32 activations the summaries may take when a channel has several bands.</summary>
    public const double BandedFraction = 1.0 / 64;

    /// <summary>Largest share for one segment per channel (small channels, e.g. 7x7).</summary>
    public const double SingleFraction = 1.0 / 16;

    /// <summary>Band counts tried, most first.</summary>
    private static readonly int[] _bandCounts = [16, 8, 4, 2];

    /// <summary>Segments per channel.</summary>
    public int SegmentsPerChannel => Offsets.Length - 1;

    /// <summary>Segments of the layer.</summary>
    public int Segments => Channels * SegmentsPerChannel;

    /// <summary>
    /// Share of the float32 activations (n x neurons x 4 bytes) the summary rows take: two float32
    /// per input and segment.
    /// </summary>
    public double StorageFraction => 2.0 * SegmentsPerChannel / ChannelSize;

    /// <summary>First flat neuron and neuron count of a segment.</summary>
    public (int First, int Count) Range(int segment)
    {
        int channel = segment / SegmentsPerChannel;
        int band = segment % SegmentsPerChannel;
        return ((channel * ChannelSize) + Offsets[band], Offsets[band + 1] - Offsets[band]);
    }

    /// <summary>
    /// The layout for a layer of shape <paramref name="shape"/> (without the batch axis), or null
    /// when it gets none: fewer than 2 dimensions, or channels so small that even one segment per
    /// channel would cost more than <see cref="SingleFraction"/>. Otherwise the most bands (16, 8, 4,
    /// 2; at most one per row) within <see cref="BandedFraction"/>, else one segment per channel.
    /// 56x56 channels get 16 bands (1.0% of the activations), 28x28 get 4 (1.0%), 16x16 get 2
    /// (1.6%), 8x8 and 7x7 one (3.1%, 4.1%); 4x4 channels get none.
    /// </summary>
    public static SummaryLayout? Choose(IReadOnlyList<long> shape)
    {
        if (shape.Count < 2)
        {
            return null;
        }

        long channels = shape[0];
        long size = 1;
        for (int d = 1; d < shape.Count; d++)
        {
            size *= shape[d];
        }

        if (channels < 1 || size < 2 || size > int.MaxValue || channels * size > int.MaxValue || 2.0 / size > SingleFraction)
        {
            return null;
        }

        long rows = shape[1];
        long row = size / rows;
        foreach (int bands in _bandCounts)
        {
            if (bands <= rows && 2.0 * bands / size <= BandedFraction)
            {
                int[] offsets = new int[bands + 1];
                for (int t = 0; t <= bands; t++)
                {
                    offsets[t] = (int)(t * rows / bands * row);
                }

                return new SummaryLayout((int)channels, (int)size, offsets);
            }
        }

        return new SummaryLayout((int)channels, (int)size, [0, (int)size]);
    }

    /// <summary>The layout an index record names, or null (an index built without summaries).</summary>
    public static SummaryLayout? FromRecord(IndexRecord index)
    {
        if (index.Summaries is not { } s || s.Offsets.Count < 2)
        {
            return null;
        }

        return new SummaryLayout((int)s.Channels, (int)s.ChannelSize, s.Offsets.Select(o => (int)o).ToArray());
    }

    /// <summary>The record form, with the bytes written.</summary>
    public SummaryRecord ToRecord(long bytes)
    {
        var record = new SummaryRecord { Channels = (uint)Channels, ChannelSize = (uint)ChannelSize, Bytes = bytes };
        record.Offsets.AddRange(Offsets.Select(o => (uint)o));
        return record;
    }
}
