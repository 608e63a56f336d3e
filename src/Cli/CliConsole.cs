using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>
/// Where the command line writes: plain text and JSON lines go to <see cref="Out"/> unchanged
/// (Spectre would wrap long lines at the terminal width, breaking JSON), tables and progress bars
/// to <see cref="Ansi"/>, errors to <see cref="Error"/>.
/// </summary>
/// <param name="Out">Standard output, for plain lines.</param>
/// <param name="Error">Standard error.</param>
/// <param name="Ansi">Rich output (tables, progress) on the same stream as <paramref name="Out"/>.</param>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, IAnsiConsole Ansi)
{
    /// <summary>
    /// Width of tables when output is not a terminal: wide enough that layer names are not
    /// wrapped mid-name for whoever greps the output.
    /// </summary>
    public const int RedirectedWidth = 240;

    /// <summary>The process's console.</summary>
    public static CliConsole CreateDefault()
    {
        IAnsiConsole ansi = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            ansi.Profile.Width = RedirectedWidth;
        }

        return new CliConsole(Console.Out, Console.Error, ansi);
    }

    /// <summary>A console writing to the given writers, without colours or live rendering (for tests).</summary>
    public static CliConsole ForWriters(TextWriter output, TextWriter error)
    {
        IAnsiConsole ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        ansi.Profile.Width = RedirectedWidth;
        return new CliConsole(output, error, ansi);
    }
}
