using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;

namespace DeepEverest.Cli;

/// <summary>
/// Renders docs/cli.md, the command reference, from the command tree itself (names, arguments,
/// options, descriptions, defaults), so the page cannot drift from what <c>--help</c> prints.
/// <c>make cli-docs</c> writes it through the hidden <c>deepeverest reference</c> command; a test
/// fails when the committed page differs.
/// </summary>
internal static class CliReference
{
    /// <summary>The reference's path relative to the repository root.</summary>
    public const string RelativePath = "docs/cli.md";

    /// <summary>The Markdown page for <paramref name="root"/> (hidden commands and options left out).</summary>
    public static string Render(RootCommand root)
    {
        var page = new StringBuilder();
        page.Append("# `deepeverest` command reference\n\n");
        page.Append("<!-- Generated from the command definitions by `make cli-docs`; a test fails when this page is stale. Edit the descriptions in src/Cli, not here. -->\n\n");
        page.Append(Escape(root.Description ?? string.Empty)).Append("\n\n");
        page.Append("`make build` installs it as a .NET tool in `~/.dotnet/tools`, which goes on your PATH (README, \"Quick start\"); every command prints its own help with `--help`. ");
        page.Append("Exit code 0 on success, 1 on any error (printed as `error: ...` on standard error).\n\n");
        page.Append("## Options of every command\n\n");
        page.Append("They may be given before or after the command's name.\n\n");
        AppendOptions(page, root.Options.Where(o => !o.Hidden));
        page.Append("## Environment variables\n\n");
        page.Append("| variable | read when | what |\n|---|---|---|\n");
        page.Append(CultureInfo.InvariantCulture, $"| `{GlobalOptions.IndexServiceVariable}` | `--index-service` is not given | the IndexService's address (also read by the Python and Node clients) |\n");
        page.Append(CultureInfo.InvariantCulture, $"| `{GlobalOptions.QueryServiceVariable}` | `--query-service` is not given | the QueryService's address (also read by the Python and Node clients) |\n");
        page.Append(CultureInfo.InvariantCulture, $"| `{GlobalOptions.ApiKeyVariable}` | `--api-key` is not given | the API key sent to both services |\n");
        page.Append(CultureInfo.InvariantCulture, $"| `{GlobalOptions.CaFileVariable}` | `--ca-file` is not given | a PEM CA certificate to trust for https:// addresses |\n");
        page.Append("| `NO_COLOR` | always | set (to anything): no colours in tables and progress bars |\n\n");
        page.Append("## Commands\n\n");
        foreach (Command command in Visible(root.Subcommands))
        {
            AppendIndex(page, command, "deepeverest", 0);
        }

        page.Append('\n');
        foreach (Command command in Visible(root.Subcommands))
        {
            AppendCommand(page, command, "deepeverest");
        }

        return page.ToString();
    }

    private static IEnumerable<Command> Visible(IEnumerable<Command> commands) => commands.Where(c => !c.Hidden);

    private static void AppendIndex(StringBuilder page, Command command, string parent, int depth)
    {
        string path = $"{parent} {command.Name}";
        page.Append(' ', depth * 2).Append(CultureInfo.InvariantCulture, $"- [`{path}`](#{Anchor(path)}): {Escape(FirstSentence(command.Description))}\n");
        foreach (Command child in Visible(command.Subcommands))
        {
            AppendIndex(page, child, path, depth + 1);
        }
    }

    private static void AppendCommand(StringBuilder page, Command command, string parent)
    {
        string path = $"{parent} {command.Name}";
        page.Append(CultureInfo.InvariantCulture, $"### {path}\n\n");
        page.Append(Escape(command.Description ?? string.Empty)).Append("\n\n");
        List<Command> children = [.. Visible(command.Subcommands)];
        if (children.Count > 0 && command.Action is null)
        {
            page.Append("Subcommands: ").Append(string.Join(", ", children.Select(c => $"[`{c.Name}`](#{Anchor($"{path} {c.Name}")})"))).Append(".\n\n");
        }
        else
        {
            page.Append(CultureInfo.InvariantCulture, $"```text\n{Usage(command, path)}\n```\n\n");
            List<Argument> arguments = [.. command.Arguments.Where(a => !a.Hidden)];
            if (arguments.Count > 0)
            {
                page.Append("| argument | description |\n|---|---|\n");
                foreach (Argument argument in arguments)
                {
                    page.Append(CultureInfo.InvariantCulture, $"| `<{argument.HelpName ?? argument.Name}>` | {Escape(argument.Description ?? string.Empty)} |\n");
                }

                page.Append('\n');
            }

            // The help option every command has is documented once, with the global options.
            AppendOptions(page, command.Options.Where(o => !o.Hidden && o is not HelpOption));
        }

        foreach (Command child in children)
        {
            AppendCommand(page, child, path);
        }
    }

    private static string Usage(Command command, string path)
    {
        var usage = new StringBuilder(path);
        foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
        {
            usage.Append(CultureInfo.InvariantCulture, $" <{argument.HelpName ?? argument.Name}>");
        }

        foreach (Option option in command.Options.Where(o => o.Required))
        {
            usage.Append(CultureInfo.InvariantCulture, $" {option.Name} {ValueOf(option)}");
        }

        return usage.Append(" [options]").ToString();
    }

    private static void AppendOptions(StringBuilder page, IEnumerable<Option> options)
    {
        List<Option> list = [.. options];
        if (list.Count == 0)
        {
            return;
        }

        page.Append("| option | value | default | description |\n|---|---|---|---|\n");
        foreach (Option option in list)
        {
            IEnumerable<string> aliases = option.Aliases.Where(a => a.StartsWith('-')).Order(StringComparer.Ordinal);
            string names = string.Join(", ", new[] { option.Name }.Concat(aliases).Select(n => $"`{n}`"));
            string value = ValueOf(option);
            string required = option.Required ? "required" : DefaultOf(option);
            page.Append(CultureInfo.InvariantCulture, $"| {names} | {(value.Length == 0 ? string.Empty : $"`{value}`")} | {required} | {Escape(option.Description ?? string.Empty)} |\n");
        }

        page.Append('\n');
    }

    private static string ValueOf(Option option)
    {
        if (option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool))
        {
            return string.Empty;
        }

        if (option.HelpName is { Length: > 0 } name)
        {
            return $"<{name}>";
        }

        Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type.IsEnum)
        {
            return string.Join("|", Enum.GetNames(type).Select(n => n.ToLowerInvariant()));
        }

        return type == typeof(string) ? "<text>"
            : type == typeof(int) || type == typeof(long) || type == typeof(uint) ? "<integer>"
            : type == typeof(double) || type == typeof(float) ? "<number>"
            : type.IsArray ? "<value>..."
            : $"<{type.Name.ToLowerInvariant()}>";
    }

    private static string DefaultOf(Option option)
    {
        if (!option.HasDefaultValue || option.ValueType == typeof(bool))
        {
            return string.Empty;
        }

        object? value = option.GetDefaultValue();
        string? text = value switch
        {
            null => null,
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            System.Collections.IEnumerable and not string => null,
            _ => value.ToString(),
        };
        return string.IsNullOrEmpty(text) ? string.Empty : $"`{text}`";
    }

    private static string FirstSentence(string? description)
    {
        if (string.IsNullOrEmpty(description))
        {
            return string.Empty;
        }

        int end = description.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? description : description[..(end + 1)];
    }

    // GitHub's heading anchors: lower case, spaces to hyphens, punctuation other than - and _ dropped.
    private static string Anchor(string heading) =>
        new([.. heading.ToLowerInvariant().Replace(' ', '-').Where(c => char.IsLetterOrDigit(c) || c is '-' or '_')]);

    // Table cells: a pipe would end the cell, a newline the row.
    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
