using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace DeepEverest.Kernels.Tests;

/// <summary>Discovers <see cref="KernelFactAttribute"/> tests with the concrete class's skip reason.</summary>
public sealed class KernelFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    /// <inheritdoc/>
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        Type type = testMethod.TestClass.Class.ToRuntimeType();
        string? reason = (string?)type.GetProperty("SkipReason", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
        yield return new KernelTestCase(
            diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
    }
}
