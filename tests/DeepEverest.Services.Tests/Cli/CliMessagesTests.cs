using DeepEverest.Cli;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>The services speak the API; the CLI shows its users the commands behind the calls.</summary>
public sealed class CliMessagesTests
{
    [Fact]
    public void ForCliUsers_MessageNamingApiCalls_AddsTheCommands()
    {
        string shown = CliSession.ForCliUsers("Layer 'x' has no index; IndexService.BuildIndex builds one. IndexService.ListLayers lists them.");

        Assert.Equal(
            "Layer 'x' has no index; IndexService.BuildIndex (`deepeverest index build`) builds one. IndexService.ListLayers (`deepeverest layers`) lists them.",
            shown);
    }

    [Fact]
    public void ForCliUsers_PlainMessage_Unchanged()
    {
        Assert.Equal("k must be in 1..10000 (got 0).", CliSession.ForCliUsers("k must be in 1..10000 (got 0)."));
    }
}
