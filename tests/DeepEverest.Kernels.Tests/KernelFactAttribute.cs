using Xunit.Sdk;

namespace DeepEverest.Kernels.Tests;

/// <summary>
/// A fact of an abstract contract test class that the concrete class can skip as a whole: the
/// concrete class declares <c>public static string? SkipReason</c>, and when it is not null every
/// inherited contract test is reported as skipped with that reason (e.g. a vector width the CPU
/// does not accelerate under <c>DOTNET_EnableHWIntrinsic=0</c>).
/// </summary>
[XunitTestCaseDiscoverer("DeepEverest.Kernels.Tests.KernelFactDiscoverer", "DeepEverest.Kernels.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class KernelFactAttribute : FactAttribute
{
}
