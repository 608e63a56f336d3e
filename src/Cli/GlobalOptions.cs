using System.CommandLine;

namespace DeepEverest.Cli;

/// <summary>
/// Options every command accepts (<c>--index-service</c>, <c>--query-service</c>, <c>--json</c>,
/// <c>--api-key</c>, <c>--ca-file</c>)
/// and the console commands write to. Command groups receive it in their <c>Create</c> method and
/// open a <see cref="CliSession"/> per invocation with <see cref="RunAsync"/>.
/// </summary>
internal sealed class GlobalOptions(CliConsole console)
{
    /// <summary>Default IndexService address.</summary>
    public const string DefaultIndexService = "http://127.0.0.1:50051";

    /// <summary>Default QueryService address.</summary>
    public const string DefaultQueryService = "http://127.0.0.1:50052";

    /// <summary>
    /// Environment variable read when <c>--index-service</c> is not given; the Python and Node
    /// clients read it too, so one variable points every front end at the same service.
    /// </summary>
    public const string IndexServiceVariable = "DEEPEVEREST_INDEX";

    /// <summary>Environment variable read when <c>--query-service</c> is not given (as the clients do).</summary>
    public const string QueryServiceVariable = "DEEPEVEREST_QUERY";

    /// <summary>
    /// Address of the IndexService. No default value is attached to the option: the default
    /// depends on the environment, and the generated reference (docs/cli.md) must not.
    /// </summary>
    public Option<string> IndexService { get; } = new("--index-service")
    {
        Description = $"Address of the IndexService's native gRPC endpoint, http(s)://host:port or host:port (default: ${IndexServiceVariable}, else {DefaultIndexService}).",
        HelpName = "address",
        Recursive = true,
    };

    /// <summary>Address of the QueryService (defaulted like <see cref="IndexService"/>).</summary>
    public Option<string> QueryService { get; } = new("--query-service")
    {
        Description = $"Address of the QueryService's native gRPC endpoint, http(s)://host:port or host:port (default: ${QueryServiceVariable}, else {DefaultQueryService}).",
        HelpName = "address",
        Recursive = true,
    };

    /// <summary>Environment variable read when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "DEEPEVEREST_API_KEY";

    /// <summary>Environment variable read when <c>--ca-file</c> is not given.</summary>
    public const string CaFileVariable = "DEEPEVEREST_CA_FILE";

    /// <summary>
    /// API key sent as <c>authorization: Bearer</c> to both services. No default value is shown in
    /// help: it would print the environment's key.
    /// </summary>
    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"API key for services that require one (default: ${ApiKeyVariable}). Prefer the variable: arguments are visible to other users of the machine.",
        Recursive = true,
    };

    /// <summary>A PEM file of the certificate authority that signed the services' TLS certificates.</summary>
    public Option<string> CaFile { get; } = new("--ca-file")
    {
        Description = $"Trust the TLS certificates (https:// addresses) signed by this PEM CA certificate, besides the system's (default: ${CaFileVariable}).",
        Recursive = true,
    };

    /// <summary>Machine-readable output: one proto3-JSON object per line.</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print machine-readable output: one proto3-JSON object per line.",
        Recursive = true,
    };

    /// <summary>Where output goes.</summary>
    public CliConsole Console { get; } = console;

    /// <summary>Adds the global options to the root command (they apply to every subcommand).</summary>
    public void AddTo(RootCommand root)
    {
        root.Options.Add(IndexService);
        root.Options.Add(QueryService);
        root.Options.Add(Json);
        root.Options.Add(ApiKey);
        root.Options.Add(CaFile);
    }

    /// <summary>
    /// Sets <paramref name="command"/>'s action to run <paramref name="body"/> in a fresh
    /// <see cref="CliSession"/>, turning gRPC and usage errors into <c>error: ...</c> on stderr
    /// and exit code 1.
    /// </summary>
    public void SetAction(Command command, Func<CliSession, ParseResult, CancellationToken, Task> body) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));

    /// <summary>Runs one command body; returns the exit code.</summary>
    public async Task<int> RunAsync(ParseResult parse, Func<CliSession, ParseResult, CancellationToken, Task> body, CancellationToken cancellationToken)
    {
        CliSession session;
        try
        {
            session = new CliSession(
                Address(parse.GetValue(IndexService), IndexServiceVariable, DefaultIndexService),
                Address(parse.GetValue(QueryService), QueryServiceVariable, DefaultQueryService),
                parse.GetValue(Json),
                Console,
                ChannelSecurity.Create(
                    NonEmpty(parse.GetValue(ApiKey)) ?? NonEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable)),
                    NonEmpty(parse.GetValue(CaFile)) ?? NonEmpty(Environment.GetEnvironmentVariable(CaFileVariable))));
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        using var owned = session;
        try
        {
            await body(session, parse, cancellationToken).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e)
        {
            return session.ReportError(e);
        }
    }

    /// <summary>
    /// The address a service is called at: the option, else the environment variable, else the
    /// default. A bare host:port (how the Python and Node clients write it) gets http://.
    /// </summary>
    internal static string Address(string? given, string variable, string fallback)
    {
        string address = NonEmpty(given) ?? NonEmpty(Environment.GetEnvironmentVariable(variable)) ?? fallback;
        return address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
