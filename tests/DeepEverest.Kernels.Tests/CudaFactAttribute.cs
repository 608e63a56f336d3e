using DeepEverest.Kernels.Ilgpu;
using ILGPU.Runtime.Cuda;

namespace DeepEverest.Kernels.Tests;

/// <summary>A fact that is skipped, with the reason shown, when ILGPU finds no CUDA device.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<int> _devices = new(CountDevices);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no CUDA device is present.</summary>
    public CudaFactAttribute()
    {
        if (CudaDeviceCount == 0)
        {
            Skip = "No CUDA device: ILGPU found none on this machine. The CUDA path is only tested where a GPU is present.";
        }
    }

    /// <summary>CUDA devices ILGPU sees (0 when probing fails).</summary>
    public static int CudaDeviceCount => _devices.Value;

    private static int CountDevices()
    {
        try
        {
            using var context = IlgpuKernels.CreateContext(builder => builder.Cuda());
            return context.GetCudaDevices().Count;
        }
        catch (Exception)
        {
            return 0;
        }
    }
}
