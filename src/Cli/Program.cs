using System.CommandLine;

namespace DeepEverest.Cli;

/// <summary>
/// The <c>deepeverest</c> command line: a thin gRPC client of the IndexService (and, through
/// command groups added by their own files, of the QueryService).
/// </summary>
internal static class Program
{
    /// <summary>Runs the command line; the exit code is 0 on success and 1 on any error.</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, CliConsole.CreateDefault());

    /// <summary>Parses and runs <paramref name="args"/> against <paramref name="console"/> (tests pass their own).</summary>
    public static Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var globals = new GlobalOptions(console);
        RootCommand root = CreateRootCommand(globals);
        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        return root.Parse(args).InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>
    /// The command tree. Each command group lives in its own file as a static
    /// <c>XCommands.Create(GlobalOptions)</c> that returns its <see cref="Command"/>; to add one
    /// (e.g. <c>query</c> or <c>bench</c>), write that file and add it to the list below.
    /// </summary>
    public static RootCommand CreateRootCommand(GlobalOptions globals)
    {
        var root = new RootCommand("DeepEverest: exact top-k queries over the activations of a DNN.");
        globals.AddTo(root);
        Command[] groups =
        [
            LayerCommands.Create(globals),
            ModelCommands.Create(globals),
            DatasetCommands.Create(globals),
            IndexCommands.Create(globals),
            QueryCommands.Create(globals),
            BenchCommands.Create(globals),
            ReferenceCommand.Create(globals),
        ];
        foreach (Command group in groups)
        {
            root.Subcommands.Add(group);
        }

        return root;
    }
}
