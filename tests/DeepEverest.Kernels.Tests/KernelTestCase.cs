using Xunit.Abstractions;
using Xunit.Sdk;

namespace DeepEverest.Kernels.Tests;

/// <summary>A test case whose skip reason comes from its class rather than its attribute.</summary>
public sealed class KernelTestCase : XunitTestCase
{
    private string? _classSkipReason;

    /// <summary>For the de-serializer only.</summary>
    [Obsolete("Called by the de-serializer only.")]
    public KernelTestCase()
    {
    }

    /// <summary>Creates the test case.</summary>
    public KernelTestCase(
        IMessageSink diagnosticMessageSink,
        TestMethodDisplay display,
        TestMethodDisplayOptions displayOptions,
        ITestMethod testMethod,
        string? classSkipReason)
        : base(diagnosticMessageSink, display, displayOptions, testMethod)
    {
        _classSkipReason = classSkipReason;
        ApplyClassSkipReason();
    }

    /// <inheritdoc/>
    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("ClassSkipReason", _classSkipReason);
    }

    /// <inheritdoc/>
    public override void Deserialize(IXunitSerializationInfo data)
    {
        base.Deserialize(data);
        _classSkipReason = data.GetValue<string>("ClassSkipReason");
        ApplyClassSkipReason();
    }

    /// <inheritdoc/>
    protected override void Initialize()
    {
        base.Initialize();
        ApplyClassSkipReason();
    }

    // The base class initialises lazily, and also inside its constructor and Deserialize, i.e.
    // possibly before the field is set: apply the reason whenever either has happened.
    private void ApplyClassSkipReason()
    {
        if (_classSkipReason is not null)
        {
            SkipReason = _classSkipReason;
        }
    }
}
