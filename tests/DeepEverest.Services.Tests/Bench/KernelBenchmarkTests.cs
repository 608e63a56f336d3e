using DeepEverest.Bench.Kernels;
using DeepEverest.Kernels;

namespace DeepEverest.Services.Tests.Bench;

/// <summary>The kernel micro-benchmark behind <c>deepeverest bench kernels</c>, on tiny sizes.</summary>
public sealed class KernelBenchmarkTests
{
    [Fact]
    public void Run_TinyOptions_ReportsEveryKernel()
    {
        var options = KernelBenchmarkOptions.Quick with
        {
            Inputs = 3000,
            GroupSizes = [1, 3],
            BuildNeurons = 4,
            LayerNeurons = 8,
            BandwidthBytes = 1 << 20,
            BandwidthRepetitions = 1,
        };
        var lines = new List<string>();
        using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });

        KernelBenchmarkReport report = KernelBenchmark.Run(kernels, options, new SynchronousProgress(lines));

        Assert.True(report.CopyBandwidthBytesPerSecond > 0);
        Assert.Equal(
            ["BuildNeuronBlock", "BoundsProblem.Create", "GroupBounds", "ExactCosts", "SelectTopK", "SelectAtMost", "UnpackCodes"],
            report.Results.Select(r => r.Kernel).Distinct());
        Assert.All(report.Results, r => Assert.True(r.MedianSeconds > 0 && r.Bytes > 0 && r.BandwidthFraction > 0, r.Kernel));
        Assert.Contains("(extrapolated)", report.Results[0].Note, StringComparison.Ordinal);
        string markdown = report.ToMarkdown();
        Assert.Contains("| kernel | case |", markdown, StringComparison.Ordinal);
        Assert.Contains("GroupBounds", markdown, StringComparison.Ordinal);
        Assert.Equal(report.Results.Count + 1, lines.Count);
    }

    [Fact]
    public void Validate_PartitionsNotPowerOfTwo_Throws()
    {
        Assert.Throws<ArgumentException>(() => (KernelBenchmarkOptions.Default with { Partitions = 12 }).Validate());
    }

    private sealed class SynchronousProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
