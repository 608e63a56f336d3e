using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Support;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Tests.Indexing;

/// <summary>
/// Every index invariant, checked against a brute-force reference built from the full model's
/// activations of real Fashion-MNIST images.
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class IndexBuilderTests(DemoStore demo)
{
    private const string Layer = "/block4/block4.2/Relu_output_0";

    [Theory]
    [InlineData(16, 0.01)]
    [InlineData(8, 0.05)]
    [InlineData(32, 0.0)]
    [InlineData(2, 0.5)]
    public void Build_RealActivations_MatchesBruteForceReference(int partitions, double ratio) =>
        CheckAgainstReference(Layer, partitions, ratio);

    [Fact]
    public void Build_OneKernelInstanceAcrossParameters_EachIndexMatchesReference()
    {
        // Kernels keep scratch buffers between calls: builds of other sizes must not leak into the next.
        CheckAgainstReference(Layer, 2, 0.5);
        CheckAgainstReference("/block3/block3.5/Relu_output_0", 16, 0.01);
        CheckAgainstReference(Layer, 64, 0.02);
    }

    private void CheckAgainstReference(string layer, int partitions, double ratio)
    {
        IndexRecord index = demo.BuildIndex(layer, partitions, ratio);
        int n = DemoStore.Inputs;
        int neurons = (int)index.Neurons;
        float[] rows = demo.FullActivations(layer);
        int c = (int)Math.Floor(ratio * n);
        Assert.Equal(c, index.MaiCount);
        int[] all = Enumerable.Range(0, neurons).ToArray();
        GroupIndexData data = demo.Store.ReadGroup(index, all);
        int stride = CodeLayout.StrideBytes(n, (int)index.Bits);
        var codes = new byte[n];
        int mergedNeurons = 0;
        for (int j = 0; j < neurons; j += 7)
        {
            // Reference order: activation descending, then id ascending.
            int[] order = Enumerable.Range(0, n).OrderByDescending(i => rows[i * neurons + j]).ThenBy(i => i).ToArray();

            // MAI: exactly the top floor(ratio * n) (value, id) pairs, in that order.
            Assert.Equal(order[..c], data.MaiIds[j]);
            Assert.Equal(order[..c].Select(i => rows[i * neurons + j]), data.MaiValues[j]);

            demo.Kernels.UnpackCodes(data.Codes.AsSpan(j * stride, stride), (int)index.Bits, 0, n, codes);

            // Codes follow ranks: MAI first, then equi-depth partitions as activation falls...
            int[] equiDepth = [.. Enumerable.Range(0, n).Select(r => r < c ? 0 : 1 + (int)((long)(r - c) * (partitions - 1) / (n - c)))];
            int[] depth = new int[partitions];
            foreach (int code in equiDepth)
            {
                depth[code]++;
            }

            // ...and a value filling a whole partition p >= 1 gets the first such p at all its ranks
            // outside the MAI (a ReLU layer's zeros).
            var filled = new Dictionary<float, int>();
            for (int p = 1; p < partitions; p++)
            {
                int first = Array.IndexOf(equiDepth, p);
                int last = Array.LastIndexOf(equiDepth, p);
                if (first < 0)
                {
                    continue;
                }

                float v = rows[order[first] * neurons + j];
                if (v == rows[order[last] * neurons + j])
                {
                    filled.TryAdd(v == 0 ? 0f : v, p);
                }
            }

            var sizes = new int[partitions];
            for (int r = 0; r < n; r++)
            {
                int id = order[r];
                int code = codes[id];
                sizes[code]++;
                float value = rows[id * neurons + j];
                // Every input's code names a partition whose [min, max] holds its activation.
                Assert.InRange(value, data.PartMin[j * partitions + code], data.PartMax[j * partitions + code]);
                int expected = r >= c && filled.TryGetValue(value == 0 ? 0f : value, out int merged) ? merged : equiDepth[r];
                Assert.Equal(expected, code);
            }

            mergedNeurons += sizes[1..].Contains(0) ? 1 : 0;

            // Equi-depth: before the merge, partitions 1..P-1 differ in size by at most one.
            int[] rest = depth[1..];
            Assert.True(rest.Max() - rest.Min() <= 1, $"neuron {j}: partition sizes {string.Join(",", rest)}");
            Assert.Equal(c, sizes[0]);
        }

        // The demo model's ReLU layers have neurons whose zeros fill several partitions.
        Assert.True(partitions <= 2 || mergedNeurons > 0, "no neuron had a value filling two partitions");

        // Storage accounting: codes, bounds and MAI of every neuron, plus the channel summaries
        // (two radii and two float32 per input and segment) where the layer has them.
        long summaries = Core.Indexing.SummaryLayout.FromRecord(index) is { } layout ? layout.Segments * (16 + (8L * n)) : 0;
        Assert.Equal(summaries, index.Summaries?.Bytes ?? 0);
        Assert.Equal(((long)neurons * (stride + partitions * 8 + c * 8)) + summaries, index.IndexBytes);
    }

    [Fact]
    public void Build_TinyMemoryBudget_SpillsAndGivesIdenticalIndex()
    {
        IndexRecord inMemory = demo.BuildIndex(Layer, 16, 0.01);
        byte[][] first = ReadAll(inMemory);
        // One neuron column is 2500 x 4 bytes; a 1 MiB budget holds ~100 of 2048 neurons.
        IndexRecord spilled = demo.BuildIndex(Layer, 16, 0.01, memoryBudgetMb: 1);
        Assert.True(spilled.Spilled);
        Assert.False(inMemory.Spilled);
        Assert.Equal(first, ReadAll(spilled));
        Assert.Equal(inMemory.IndexBytes, spilled.IndexBytes);
    }

    [Fact]
    public void Build_TwoRuns_IdenticalAndOldGenerationReplaced()
    {
        IndexRecord a = demo.BuildIndex(Layer, 8, 0.02);
        byte[][] first = ReadAll(a);
        IndexRecord b = demo.BuildIndex(Layer, 8, 0.02);
        Assert.NotEqual(a.Generation, b.Generation);
        Assert.Equal(first, ReadAll(b));
        Assert.Equal(b.Generation, demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, Layer)!.Generation);
        // The replaced generation's rows are gone.
        Assert.Throws<DeepEverestException>(() => demo.Store.ReadGroup(a, [0]));
    }

    [Fact]
    public void Build_Cancelled_LeavesPreviousIndexVisibleAndIntact()
    {
        IndexRecord before = demo.BuildIndex(Layer, 16, 0.01);
        byte[][] rows = ReadAll(before);
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.InputsDone > 1000)
            {
                cts.Cancel();
            }
        });
        var builder = new Core.Indexing.IndexBuilder(demo.Store, demo.Kernels, new Core.Indexing.IndexBuildOptions());
        Assert.ThrowsAny<OperationCanceledException>(() => builder.Build(
            new Core.Indexing.IndexBuildRequest(DemoStore.Model, DemoStore.Dataset, Layer, 32, 0.0, BatchSize: 100), progress, cts.Token));
        IndexRecord after = demo.Store.GetIndex(DemoStore.Model, DemoStore.Dataset, Layer)!;
        Assert.Equal(before, after);
        Assert.Equal(rows, ReadAll(after));
        Assert.Equal(0, demo.Store.RemoveAbandonedBuilds());
    }

    [Theory]
    [InlineData(12, 0.01, "power of two")]
    [InlineData(512, 0.01, "power of two")]
    [InlineData(16, 0.7, "[0, 0.5]")]
    [InlineData(16, -0.1, "[0, 0.5]")]
    public void Build_BadParameters_RefusedBeforeAnyWrite(int partitions, double ratio, string hint)
    {
        var before = demo.Store.ListIndexes().Count;
        var e = Assert.Throws<DeepEverestException>(() => demo.BuildIndex("/block3/block3.2/Relu_output_0", partitions, ratio));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(hint, e.Message);
        Assert.Equal(before, demo.Store.ListIndexes().Count);
    }

    [Fact]
    public void Build_UnknownLayer_NotFound()
    {
        var e = Assert.Throws<DeepEverestException>(() => demo.BuildIndex("no-such-layer", 16, 0.01));
        Assert.Equal(ErrorKind.NotFound, e.Kind);
    }

    private byte[][] ReadAll(IndexRecord index)
    {
        int[] all = Enumerable.Range(0, (int)index.Neurons).ToArray();
        GroupIndexData d = demo.Store.ReadGroup(index, all);
        return
        [
            d.Codes,
            [.. d.PartMin.SelectMany(BitConverter.GetBytes)],
            [.. d.PartMax.SelectMany(BitConverter.GetBytes)],
            [.. d.MaiIds.SelectMany(x => x).SelectMany(BitConverter.GetBytes)],
            [.. d.MaiValues.SelectMany(x => x).SelectMany(BitConverter.GetBytes)],
        ];
    }
}
