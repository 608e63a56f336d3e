namespace DeepEverest.Kernels;

/// <summary>Which implementation of <see cref="IKernels"/> <see cref="KernelSelector"/> returns.</summary>
public enum KernelBackend
{
    /// <summary>CUDA through ILGPU when a CUDA device is present, otherwise SIMD C# on the CPU.</summary>
    Auto = 0,

    /// <summary>SIMD C# on the CPU, even when a GPU is present.</summary>
    Cpu = 1,

    /// <summary>CUDA through ILGPU; creation fails when no CUDA device is present.</summary>
    Cuda = 2,
}
