using System.Text.Json.Nodes;
using DeepEverest.ChartDocs;
using DeepEverest.Deploy.Tests.Infrastructure;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>The chart's README values table and its schema keep up with values.yaml.</summary>
public sealed class ChartDocsTests
{
    private static readonly string _valuesYaml = File.ReadAllText(Path.Combine(RepoPaths.Chart, "values.yaml"));

    [Fact]
    public void ValuesYaml_EveryValue_IsDocumentedOnce()
    {
        ChartValues values = ChartValuesReader.Read(_valuesYaml);

        Assert.Empty(values.Problems);
        Assert.NotEmpty(values.Values);
    }

    [Fact]
    public void Readme_ValuesTable_IsWhatMakeChartDocsGenerates()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Chart, "README.md"));
        string table = ValuesTable.Render(ChartValuesReader.Read(_valuesYaml).Values);

        Assert.True(ValuesTable.Replace(readme, table) == readme, "helm/deepeverest/README.md's values table is stale: run `make chart-docs`");
    }

    [Fact]
    public void Schema_EveryDocumentedValue_IsDeclaredWithItsType()
    {
        JsonNode schema = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Chart, "values.schema.json")))!;

        foreach (ChartValue value in ChartValuesReader.Read(_valuesYaml).Values)
        {
            JsonNode? node = schema;
            foreach (string key in value.Key.Split('.'))
            {
                node = node?["properties"]?[key];
            }

            Assert.True(node is not null, $"values.schema.json does not declare {value.Key}");
            string? type = node!["type"]?.GetValue<string>();
            string expected = value.Type switch
            {
                "int" => "integer",
                "list" => "array",
                "bool" => "boolean",
                _ => value.Type,
            };
            Assert.True(type is null || type == expected, $"{value.Key}: schema type {type}, default is {value.Type}");
        }
    }

    [Fact]
    public void Read_UndocumentedValue_IsReported()
    {
        const string yaml = "# -- documented\na: 1\nsection:\n  # -- documented too\n  b: x\n  c: []\n";

        ChartValues values = ChartValuesReader.Read(yaml);

        Assert.Equal(["a", "section.b"], values.Values.Select(v => v.Key));
        Assert.Equal(["section.c has no '# --' comment."], values.Problems);
    }

    [Fact]
    public void Read_MultiLineComment_JoinsItsLinesAfterTheLastMarker()
    {
        const string yaml = "# header, not documentation\n\n# -- first line\n# second line\nkey:\n  nested: true\n";

        ChartValue value = Assert.Single(ChartValuesReader.Read(yaml).Values);

        Assert.Equal(new ChartValue("key", "object", "{\"nested\":true}", "first line second line"), value);
    }
}
