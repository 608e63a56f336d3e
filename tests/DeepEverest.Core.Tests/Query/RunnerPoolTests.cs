using DeepEverest.Core.Indexing;
using DeepEverest.Core.Query.Activations;
using DeepEverest.Core.Tests.Support;

namespace DeepEverest.Core.Tests.Query;

/// <summary>
/// <see cref="RunnerPool"/> with several sessions per layer: concurrent batches on one layer get
/// the same rows as one session taking turns, and no more sessions than allowed are created.
/// </summary>
[Collection(DemoStoreCollection.Name)]
public sealed class RunnerPoolTests(DemoStore demo)
{
    private const string Layer = "/block3/block3.2/Relu_output_0";
    private const int Batch = 8;

    [Fact]
    public void Run_ConcurrentBatchesOnOneLayerWithTwoSessions_SameRowsAsOneSessionAtMostTwoCreated()
    {
        LayerProbe probe = LayerProbe.Resolve(demo.Store, DemoStore.Model, DemoStore.Dataset, Layer);
        float[][] inputs = Enumerable.Range(0, 12)
            .Select(b => Enumerable.Range(b * Batch, Batch).SelectMany(demo.Image).ToArray())
            .ToArray();

        using var single = new RunnerPool(1, Batch, sessions: 1);
        float[][] expected = inputs.Select(batch => Run(single, probe, batch)).ToArray();

        using var pool = new RunnerPool(1, Batch, sessions: 2);
        float[][] actual = new float[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 }, b => actual[b] = Run(pool, probe, inputs[b]));

        for (int b = 0; b < inputs.Length; b++)
        {
            Assert.Equal(expected[b], actual[b]);
        }

        Assert.InRange(pool.SessionCount(probe), 1, 2);
        Assert.Equal(1, single.SessionCount(probe));
    }

    [Fact]
    public void Constructor_NoSession_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunnerPool(1, Batch, sessions: 0));
    }

    private float[] Run(RunnerPool pool, LayerProbe probe, float[] batch)
    {
        float[] rows = new float[Batch * probe.Neurons];
        pool.Run(demo.Store, probe, batch, Batch, rows, CancellationToken.None);
        return rows;
    }
}
