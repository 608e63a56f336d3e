namespace DeepEverest.Cli;

/// <summary>A usage error the command line reports as <c>error: &lt;message&gt;</c> with exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
