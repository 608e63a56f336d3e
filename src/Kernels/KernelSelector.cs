using DeepEverest.Kernels.Ilgpu;
using DeepEverest.Kernels.Simd;
using ILGPU;
using ILGPU.Runtime.Cuda;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepEverest.Kernels;

/// <summary>
/// Picks the <see cref="IKernels"/> implementation once at start-up: CUDA through ILGPU when a
/// CUDA device is present and allowed, otherwise SIMD C# at the widest vector width the CPU
/// accelerates.
/// </summary>
public static class KernelSelector
{
    /// <summary>
    /// Creates the kernels <paramref name="options"/> ask for. The caller owns the result and
    /// disposes it (releasing the GPU context, if any).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// <see cref="KernelBackend.Cuda"/> was requested but no CUDA device is present.
    /// </exception>
    public static IKernels Create(KernelOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        if (options.Backend == KernelBackend.Cpu)
        {
            return Simd(logger, "CPU backend requested");
        }

        Context? context = null;
        try
        {
            // Cuda() alone would silently give a CPU-only context without a GPU: count devices explicitly.
            context = IlgpuKernels.CreateContext(builder => builder.Cuda());
            int devices = context.GetCudaDevices().Count;
            if (devices > options.CudaDeviceIndex)
            {
                var kernels = new IlgpuKernels(context, context.CreateCudaAccelerator(options.CudaDeviceIndex), ownsContext: true);
                context = null;
                KernelsLog.BackendSelected(logger, kernels.Name, $"CUDA device {options.CudaDeviceIndex} of {devices}");
                return kernels;
            }

            if (options.Backend == KernelBackend.Cuda)
            {
                throw new InvalidOperationException(devices == 0
                    ? "The CUDA kernel backend was requested, but ILGPU found no CUDA device. Use Backend = Auto or Cpu on machines without an NVIDIA GPU."
                    : $"The CUDA kernel backend was requested for device {options.CudaDeviceIndex}, but only {devices} CUDA device(s) exist.");
            }
        }
        catch (Exception ex) when (options.Backend == KernelBackend.Auto && ex is not OutOfMemoryException)
        {
            KernelsLog.CudaProbeFailed(logger, ex);
        }
        finally
        {
            context?.Dispose();
        }

        return Simd(logger, "no CUDA device");
    }

    private static SimdKernels Simd(ILogger logger, string reason)
    {
        var kernels = SimdKernels.CreateBest();
        KernelsLog.BackendSelected(logger, kernels.Name, reason);
        return kernels;
    }
}
