using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DeepEverest.ChartDocs;

/// <summary>
/// Reads a chart's values.yaml with its comments, in the helm-docs convention: a comment starting
/// with <c># --</c> documents the key right below it, and the comment lines between it and the key
/// continue the text. A documented mapping is one value (its children need no comment); every
/// other value must be documented itself or through exactly one documented ancestor.
/// </summary>
internal static partial class ChartValuesReader
{
    /// <summary>Reads the documented values of <paramref name="yaml"/> (the text of a values.yaml).</summary>
    /// <exception cref="YamlException">The text is not YAML.</exception>
    public static ChartValues Read(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var reader = new Reader(parser, yaml.Split('\n'));
        Node root = reader.ReadDocument();
        var values = new List<ChartValue>();
        var problems = new List<string>();
        if (root is not MapNode map)
        {
            problems.Add("values.yaml is not a mapping.");
            return new ChartValues(values, problems);
        }

        Collect(map, "", values, problems);
        return new ChartValues(values, problems);
    }

    private static void Collect(MapNode map, string prefix, List<ChartValue> values, List<string> problems)
    {
        foreach ((string key, Node node, string? doc) in map.Entries)
        {
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (doc is not null)
            {
                if (node is MapNode children && HasDocumentedDescendant(children))
                {
                    problems.Add($"{path} is documented and so are keys below it: document one or the other.");
                }

                values.Add(new ChartValue(path, node.TypeName, ToJson(node), doc));
            }
            else if (node is MapNode { Entries.Count: > 0 } children)
            {
                Collect(children, path, values, problems);
            }
            else
            {
                problems.Add($"{path} has no '# --' comment.");
            }
        }
    }

    private static bool HasDocumentedDescendant(MapNode map) =>
        map.Entries.Any(e => e.Doc is not null || (e.Node is MapNode child && HasDocumentedDescendant(child)));

    private static string ToJson(Node node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, Node node)
    {
        switch (node)
        {
            case MapNode map:
                writer.WriteStartObject();
                foreach ((string key, Node child, _) in map.Entries)
                {
                    writer.WritePropertyName(key);
                    Write(writer, child);
                }

                writer.WriteEndObject();
                break;
            case ListNode list:
                writer.WriteStartArray();
                foreach (Node item in list.Items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case ScalarNode scalar:
                switch (scalar.TypeName)
                {
                    case "null":
                        writer.WriteNullValue();
                        break;
                    case "bool":
                        writer.WriteBooleanValue(scalar.Value == "true");
                        break;
                    case "int" or "number":
                        writer.WriteRawValue(scalar.Value);
                        break;
                    default:
                        writer.WriteStringValue(scalar.Value);
                        break;
                }

                break;
        }
    }

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^-?[0-9]+\.[0-9]+$")]
    private static partial Regex NumberPattern();

    private abstract record Node
    {
        public abstract string TypeName { get; }
    }

    private sealed record ScalarNode(string Value, ScalarStyle Style) : Node
    {
        public override string TypeName => Style is ScalarStyle.Plain
            ? Value switch
            {
                "true" or "false" => "bool",
                "null" or "~" or "" => "null",
                _ when IntPattern().IsMatch(Value) => "int",
                _ when NumberPattern().IsMatch(Value) => "number",
                _ => "string",
            }
            : "string";
    }

    private sealed record MapNode(List<(string Key, Node Node, string? Doc)> Entries) : Node
    {
        public override string TypeName => "object";
    }

    private sealed record ListNode(List<Node> Items) : Node
    {
        public override string TypeName => "list";
    }

    /// <summary>
    /// Builds nodes from parser events. Comments come from the raw lines (YamlDotNet's comment
    /// events are unreliable around dedents): a key's documentation is the run of comment lines
    /// right above its line, from the last one starting with <c># --</c>.
    /// </summary>
    private sealed class Reader(IParser parser, string[] lines)
    {
        public Node ReadDocument()
        {
            parser.Consume<StreamStart>();
            parser.Consume<DocumentStart>();
            Node root = ReadValue();
            parser.Consume<DocumentEnd>();
            return root;
        }

        private Node ReadValue()
        {
            switch (parser.Current)
            {
                case Scalar scalar:
                    parser.MoveNext();
                    return new ScalarNode(scalar.Value, scalar.Style);
                case MappingStart:
                    parser.MoveNext();
                    var entries = new List<(string, Node, string?)>();
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        Scalar key = parser.Consume<Scalar>();
                        entries.Add((key.Value, ReadValue(), DocAbove((int)key.Start.Line)));
                    }

                    return new MapNode(entries);
                case SequenceStart:
                    parser.MoveNext();
                    var items = new List<Node>();
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        items.Add(ReadValue());
                    }

                    return new ListNode(items);
                default:
                    throw new YamlException(parser.Current!.Start, parser.Current.End, $"Unexpected {parser.Current.GetType().Name} in values.yaml.");
            }
        }

        /// <summary>The documentation of the key on 1-based line <paramref name="line"/>, or null.</summary>
        private string? DocAbove(int line)
        {
            var block = new List<string>();
            for (int i = line - 2; i >= 0; i--)
            {
                string text = lines[i].Trim();
                if (!text.StartsWith('#'))
                {
                    break;
                }

                block.Insert(0, text.TrimStart('#').Trim());
            }

            int first = block.FindLastIndex(text => text.StartsWith("--", StringComparison.Ordinal));
            if (first < 0)
            {
                return null;
            }

            block[first] = block[first][2..].Trim();
            return string.Join(" ", block.Skip(first).Where(text => text.Length > 0));
        }
    }
}
