namespace DeepEverest.Kernels;

/// <summary>
/// Start-up choice of the kernel backend (bound from the <c>DeepEverest:Kernels</c> configuration section).
/// </summary>
public sealed class KernelOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest:Kernels";

    /// <summary>Which backend to use. Default <see cref="KernelBackend.Auto"/>.</summary>
    public KernelBackend Backend { get; set; } = KernelBackend.Auto;

    /// <summary>Index of the CUDA device to use when the CUDA backend is chosen (0-based). Default 0.</summary>
    public int CudaDeviceIndex { get; set; }

    /// <summary>
    /// Checks the options; throws <see cref="ArgumentException"/> naming the first invalid setting.
    /// </summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentException($"Unknown kernel backend {(int)Backend}.", nameof(Backend));
        }

        if (CudaDeviceIndex < 0)
        {
            throw new ArgumentException($"CudaDeviceIndex must be >= 0, got {CudaDeviceIndex}.", nameof(CudaDeviceIndex));
        }
    }
}
