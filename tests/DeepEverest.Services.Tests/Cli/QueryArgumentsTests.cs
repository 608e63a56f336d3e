using DeepEverest.Cli;
using DeepEverest.Contracts.V1;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>The text options of `query similar/highest`: --target-text with --target-token, and --where.</summary>
public sealed class QueryArgumentsTests
{
    [Fact]
    public void TextTarget_TextAndToken_TextTargetMessage()
    {
        Target? target = QueryArguments.TextTarget(null, "Call me Ishmael.", 2);

        Assert.Equal(new Target { Text = new TextTarget { Text = "Call me Ishmael.", Token = 2 } }, target);
        Assert.Equal(0, QueryArguments.TextTarget(null, "whale", null)!.Text.Token);
    }

    [Fact]
    public void TextTarget_WithAnotherTargetOrTokenAlone_Refused()
    {
        Assert.Contains("give one target", Assert.Throws<CliException>(() => QueryArguments.TextTarget(new Target { InputId = 3 }, "whale", 0)).Message, StringComparison.Ordinal);
        Assert.Contains("--target-token applies to --target-text", Assert.Throws<CliException>(() => QueryArguments.TextTarget(null, null, 1)).Message, StringComparison.Ordinal);
        Assert.Equal(3, QueryArguments.TextTarget(new Target { InputId = 3 }, null, null)!.InputId);
    }

    [Fact]
    public void Documents_KeyAndValues_OneMatchPerWhere()
    {
        MetadataMatch[] matches = [.. QueryArguments.Documents(["party=d, dr", "year=1790"])];

        Assert.Equal(["party", "year"], matches.Select(m => m.Key));
        Assert.Equal(["d", "dr"], matches[0].Values);
        Assert.Equal(["1790"], matches[1].Values);
        Assert.Empty(QueryArguments.Documents(null));
        Assert.Throws<CliException>(() => QueryArguments.Documents(["party"]).ToList());
        Assert.Throws<CliException>(() => QueryArguments.Documents(["=d"]).ToList());
    }
}
