using DeepEverest.Core.Indexing;

namespace DeepEverest.Core.Tests.Indexing;

/// <summary>
/// The build's batch buffers stay within <see cref="IndexBuilder.BatchBufferBytes"/> (part of the
/// constant its peak memory adds to the memory budget), without changing small models' batches.
/// </summary>
public sealed class BuildBatchTests
{
    [Fact]
    public void CapBatch_ResNetImageAndEarlyLayer_BuffersWithinTheCap()
    {
        const long Image = 3 * 224 * 224;
        const long Layer = 64 * 56 * 56;

        int batch = IndexBuilder.CapBatch(256, Image, Layer);

        Assert.InRange(batch, 1, 255);
        Assert.True(batch * (Image + Layer) * sizeof(float) <= IndexBuilder.BatchBufferBytes);
        Assert.True((batch + 1) * (Image + Layer) * sizeof(float) > IndexBuilder.BatchBufferBytes);
    }

    [Fact]
    public void CapBatch_SmallModel_KeepsTheRequestedBatch()
    {
        Assert.Equal(256, IndexBuilder.CapBatch(256, 28 * 28, 64 * 14 * 14));
    }

    [Fact]
    public void CapBatch_InputLargerThanTheCap_OneAtATime()
    {
        Assert.Equal(1, IndexBuilder.CapBatch(256, 1L << 26, 1L << 26));
    }
}
