using DeepEverest.Core.Onnx;
using static DeepEverest.Core.Tests.Onnx.OnnxTestModels;

namespace DeepEverest.Core.Tests.Onnx;

public sealed class ActivationRunnerTests
{
    private const string FirstRelu = "/block1/block1.2/Relu_output_0";
    private const string FcRelu = "/classifier/classifier.2/Relu_output_0";

    [Theory]
    [InlineData(Demo, FirstRelu)]
    [InlineData(Demo, FcRelu)]
    [InlineData(Mlp, "/net/net.4/Tanh_output_0")]
    public void Run_BatchesOf1And7AndMaxBatchPlus3_MatchBatchOfOneRows(string name, string layer)
    {
        var model = Load(name);
        var options = new ActivationRunnerOptions { MaxBatch = 16 };
        using var runner = ActivationRunner.Create(model, layer, options);
        int rows = options.MaxBatch + 3;
        float[] inputs = FashionMnistImages.ReadTestImages(rows);
        float[] single = RunOneByOne(runner, inputs, rows);

        foreach (int batch in new[] { 1, 7, rows })
        {
            var activations = new float[batch * runner.Neurons];
            runner.Run(inputs.AsSpan(0, batch * runner.InputElements), batch, activations);

            Assert.Equal(single.AsSpan(0, activations.Length).ToArray(), activations);
        }
    }

    [Fact]
    public void Run_DefaultMaxBatchPlus3_MatchesBatchOfOneRows()
    {
        using var runner = ActivationRunner.Create(Load(Demo), FirstRelu);
        int rows = new ActivationRunnerOptions().MaxBatch + 3;
        float[] inputs = FashionMnistImages.ReadTestImages(rows);

        var activations = new float[rows * runner.Neurons];
        runner.Run(inputs, rows, activations);

        Assert.Equal(RunOneByOne(runner, inputs, rows), activations);
    }

    [Fact]
    public void Create_DemoRelu_ExposesSizes()
    {
        using var runner = ActivationRunner.Create(Load(Demo), FirstRelu);

        Assert.Equal(784, runner.InputElements);
        Assert.Equal(16384, runner.Neurons);
        Assert.Equal([16L, 32, 32], runner.LayerShape);
    }

    [Fact]
    public void Run_SteadyState_AllocatesNothing()
    {
        using var runner = ActivationRunner.Create(Load(Demo), FcRelu, new ActivationRunnerOptions { MaxBatch = 8 });
        float[] inputs = FashionMnistImages.ReadTestImages(11);
        var activations = new float[11 * runner.Neurons];
        runner.Run(inputs, 11, activations);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            runner.Run(inputs, 11, activations);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Run_WrongSpanLengths_ThrowArgumentException()
    {
        using var runner = ActivationRunner.Create(Load(Mlp), "/net/net.2/Relu_output_0");
        var inputs = new float[2 * runner.InputElements];
        var activations = new float[2 * runner.Neurons];

        Assert.Throws<ArgumentException>(() => runner.Run(inputs.AsSpan(1), 2, activations));
        Assert.Throws<ArgumentException>(() => runner.Run(inputs, 2, activations.AsSpan(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Run(inputs, -1, activations));
    }

    [Fact]
    public void Run_EmptyBatch_AcceptedAndLeavesTheRunnerAsItWas()
    {
        using var runner = ActivationRunner.Create(Load(Mlp), "/net/net.2/Relu_output_0");
        float[] input = FashionMnistImages.ReadTestImages(1);
        var before = new float[runner.Neurons];
        runner.Run(input, 1, before);

        runner.Run([], 0, []);
        var after = new float[runner.Neurons];
        runner.Run(input, 1, after);

        // The bound buffers are untouched: the next batch is computed as before.
        Assert.Equal(before, after);
        Assert.Contains(before, value => value > 0);
        // A batch of 0 takes no floats: stray ones are refused as for any other batch size.
        Assert.Throws<ArgumentException>(() => runner.Run(input, 0, []));
        Assert.Throws<ArgumentException>(() => runner.Run([], 0, after));
    }

    [Fact]
    public void Run_AfterDispose_ThrowsObjectDisposed()
    {
        var runner = ActivationRunner.Create(Load(Mlp), "/net/net.2/Relu_output_0");
        runner.Dispose();

        Assert.Throws<ObjectDisposedException>(() => runner.Run(new float[784], 1, new float[64]));
    }

    [Fact]
    public void Create_UnknownLayer_ThrowsNotFound()
    {
        var ex = Assert.Throws<DeepEverestException>(() => ActivationRunner.Create(Load(Mlp), "nope"));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public void Create_MaxBatchZero_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<DeepEverestException>(
            () => ActivationRunner.Create(Load(Mlp), "/net/net.2/Relu_output_0", new ActivationRunnerOptions { MaxBatch = 0 }));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Run_ModelWithBatchFixedAtOne_RunsInputsOneAtATime()
    {
        var model = OnnxModelFile.Load(Tiny(m => m.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = 1));
        using var runner = ActivationRunner.Create(model, "h");
        float[] inputs = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];

        var activations = new float[3 * 3];
        runner.Run(inputs, 3, activations);

        // h = x · w with w = ((i % 5) - 2) row-major [4, 3]: rows 0, 1 and 3 of w.
        Assert.Equal([-2f, -1, 0, 1, 2, -2, 2, -2, -1], activations);
    }

    private static float[] RunOneByOne(ActivationRunner runner, float[] inputs, int rows)
    {
        var result = new float[rows * runner.Neurons];
        for (int row = 0; row < rows; row++)
        {
            runner.Run(
                inputs.AsSpan(row * runner.InputElements, runner.InputElements),
                1,
                result.AsSpan(row * runner.Neurons, runner.Neurons));
        }

        return result;
    }
}
