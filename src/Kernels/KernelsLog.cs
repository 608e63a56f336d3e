using Microsoft.Extensions.Logging;

namespace DeepEverest.Kernels;

/// <summary>Log messages of the kernels project, with stable event ids.</summary>
internal static partial class KernelsLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Kernel backend {Name} selected ({Reason}).")]
    public static partial void BackendSelected(ILogger logger, string name, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Could not probe for CUDA devices; using the CPU kernels.")]
    public static partial void CudaProbeFailed(ILogger logger, Exception exception);
}
