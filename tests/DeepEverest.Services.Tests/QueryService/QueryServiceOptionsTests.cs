using DeepEverest.QueryService;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>Which server cap applies to a query: a client deadline may extend it up to a configured maximum.</summary>
public sealed class QueryServiceOptionsTests
{
    [Fact]
    public void CapSeconds_ClientDeadline_UsesMaxClientDeadlineSeconds()
    {
        var options = new QueryServiceOptions { MaxQuerySeconds = 300, MaxClientDeadlineSeconds = 3600 };

        Assert.Equal(3600, options.CapSeconds(clientDeadline: true));
        Assert.Equal(300, options.CapSeconds(clientDeadline: false));
    }

    [Fact]
    public void CapSeconds_NoClientDeadlineLimit_IsUncapped()
    {
        var options = new QueryServiceOptions { MaxQuerySeconds = 300, MaxClientDeadlineSeconds = 0 };

        Assert.Equal(0, options.CapSeconds(clientDeadline: true));
    }

    [Fact]
    public void Validate_NegativeMaxClientDeadlineSeconds_Throws()
    {
        var options = new QueryServiceOptions { MaxClientDeadlineSeconds = -1 };

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("MaxClientDeadlineSeconds", e.Message, StringComparison.Ordinal);
    }
}
