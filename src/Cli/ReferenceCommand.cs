using System.CommandLine;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest reference [--out FILE] [--check]</c>, hidden: writes the command reference
/// (<see cref="CliReference"/>) for <c>make cli-docs</c>, or says whether the committed one is current.
/// </summary>
internal static class ReferenceCommand
{
    /// <summary>Creates the hidden <c>reference</c> command.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var output = new Option<string>("--out") { Description = "Write the page here instead of standard output." };
        var check = new Option<bool>("--check") { Description = "Only compare with --out's file: exit 1 when it is stale." };
        var command = new Command("reference", "Print the Markdown command reference (docs/cli.md).") { Hidden = true };
        command.Options.Add(output);
        command.Options.Add(check);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string page = CliReference.Render((RootCommand)parse.RootCommandResult.Command);
            string? path = parse.GetValue(output);
            if (path is null)
            {
                await globals.Console.Out.WriteAsync(page).ConfigureAwait(false);
                return 0;
            }

            string current = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : string.Empty;
            if (current == page)
            {
                await globals.Console.Out.WriteLineAsync($"{path}: up to date").ConfigureAwait(false);
                return 0;
            }

            if (parse.GetValue(check))
            {
                await globals.Console.Error.WriteLineAsync($"{path} is stale: run `make cli-docs`").ConfigureAwait(false);
                return 1;
            }

            await File.WriteAllTextAsync(path, page, cancellationToken).ConfigureAwait(false);
            await globals.Console.Out.WriteLineAsync($"{path}: written").ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
