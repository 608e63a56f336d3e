using System.Text.Json;
using DeepEverest.Contracts;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>
/// The C# parser of the shared group syntax against tests/fixtures/group-syntax.json, the table
/// the Python and TypeScript parsers read too: one grammar, three parsers, the same answers.
/// </summary>
public sealed class GroupSyntaxTests
{
    private static readonly JsonElement _fixture = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(TestData.RepoRoot, "tests", "fixtures", "group-syntax.json"))).RootElement;

    public static TheoryData<string, string, string> Valid()
    {
        var data = new TheoryData<string, string, string>();
        foreach (JsonElement e in _fixture.GetProperty("valid").EnumerateArray())
        {
            data.Add(e.GetProperty("text").GetString()!, e.GetProperty("group").GetRawText(), e.GetProperty("canonical").GetString()!);
        }

        return data;
    }

    public static TheoryData<string> Invalid()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement e in _fixture.GetProperty("invalid").EnumerateArray())
        {
            data.Add(e.GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_FixtureText_GivesTheFixtureMessageAndCanonicalText(string text, string groupJson, string canonical)
    {
        NeuronGroup expected = JsonParser.Default.Parse<NeuronGroup>(groupJson);

        NeuronGroup group = GroupSyntax.Parse(text);

        Assert.Equal(expected, group);
        Assert.Equal(canonical, GroupSyntax.Format(group));
        Assert.Equal(group, GroupSyntax.Parse(canonical));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_FixtureInvalidText_RefusedNamingTheText(string text)
    {
        FormatException e = Assert.Throws<FormatException>(() => GroupSyntax.Parse(text));

        Assert.Contains("is not a neuron group", e.Message, StringComparison.Ordinal);
        Assert.False(GroupSyntax.TryParse(text, out NeuronGroup? group, out string? error));
        Assert.Null(group);
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void Format_MixedFlatAndCoordinates_Null()
    {
        var group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Flat = 3 }, new Neuron { Coordinates = new Coordinates { Values = { 1, 2 } } } } } };

        Assert.Null(GroupSyntax.Format(group));
    }
}
