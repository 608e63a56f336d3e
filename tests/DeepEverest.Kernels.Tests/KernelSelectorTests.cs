namespace DeepEverest.Kernels.Tests;

public sealed class KernelSelectorTests
{
    [Fact]
    public void Create_CpuBackend_ReturnsSimdKernels()
    {
        using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        Assert.StartsWith("simd-", kernels.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AutoWithoutCuda_FallsBackToSimd()
    {
        if (CudaFactAttribute.CudaDeviceCount > 0)
        {
            return; // with a GPU, Auto picks CUDA: covered by CudaKernelTests
        }

        using IKernels kernels = KernelSelector.Create(new KernelOptions());
        Assert.StartsWith("simd-", kernels.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_CudaBackendWithoutDevice_ThrowsInvalidOperation()
    {
        if (CudaFactAttribute.CudaDeviceCount > 0)
        {
            return;
        }

        var ex = Assert.Throws<InvalidOperationException>(() => KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cuda }));
        Assert.Contains("no CUDA device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NegativeDeviceIndex_ThrowsArgument()
    {
        Assert.Throws<ArgumentException>(() => KernelSelector.Create(new KernelOptions { CudaDeviceIndex = -1 }));
    }
}
