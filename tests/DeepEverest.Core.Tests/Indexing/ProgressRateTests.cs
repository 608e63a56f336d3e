using DeepEverest.Core.Indexing;

namespace DeepEverest.Core.Tests.Indexing;

/// <summary>Build ETAs come from the rate after the first step, which pays one-time costs.</summary>
public sealed class ProgressRateTests
{
    [Fact]
    public void Remaining_FirstStep_IsUnknown()
    {
        var rate = new ProgressRate();
        Thread.Sleep(50); // a slow first step (session creation) must not become the estimate
        Assert.Null(rate.Remaining(1, 1000));
        Assert.Null(rate.Remaining(1, 1000));
        TimeSpan? estimate = rate.Remaining(2, 1000);
        Assert.NotNull(estimate);
        Assert.Equal(TimeSpan.Zero, rate.Remaining(1000, 1000));
    }

    [Fact]
    public void Remaining_SingleStepPhase_IsZeroWhenDone()
    {
        var rate = new ProgressRate();
        Assert.Equal(TimeSpan.Zero, rate.Remaining(5, 5));
    }
}
