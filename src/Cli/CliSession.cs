using DeepEverest.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace DeepEverest.Cli;

/// <summary>
/// One command invocation: lazily opened gRPC channels, the output mode, and helpers shared by
/// command groups (JSON lines, defaulting of model and dataset, error reporting).
/// </summary>
internal sealed class CliSession : IDisposable
{
    // Proto3 JSON with defaults written out: a consumer should not have to know that an absent
    // field means 0 or false.
    private static readonly JsonFormatter _jsonLines = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    private static readonly (string Api, string Command)[] _commandsOfCalls =
    [
        ("IndexService.BuildIndex", "deepeverest index build"),
        ("IndexService.ListLayers", "deepeverest layers"),
        ("IndexService.MaterializeLayer", "deepeverest index materialize"),
        ("IndexService.AddModel", "deepeverest models add"),
        ("IndexService.ImportDataset", "deepeverest datasets import"),
    ];

    private readonly string _indexAddress;
    private readonly string _queryAddress;
    private readonly ChannelSecurity _security;
    private GrpcChannel? _indexChannel;
    private GrpcChannel? _queryChannel;
    private IndexService.IndexServiceClient? _index;
    private ListDatasetsResponse? _datasets;

    /// <summary>Creates a session; no connection is made until a client is used.</summary>
    public CliSession(string indexAddress, string queryAddress, bool json, CliConsole console, ChannelSecurity? security = null)
    {
        _indexAddress = indexAddress;
        _queryAddress = queryAddress;
        _security = security ?? ChannelSecurity.None;
        Json = json;
        Console = console;
    }

    /// <summary>Whether output is JSON lines.</summary>
    public bool Json { get; }

    /// <summary>Where output goes.</summary>
    public CliConsole Console { get; }

    /// <summary>Client of the IndexService.</summary>
    public IndexService.IndexServiceClient Index =>
        _index ??= new IndexService.IndexServiceClient(_indexChannel = _security.OpenChannel(_indexAddress));

    /// <summary>Channel to the QueryService, for the query command groups' clients.</summary>
    public GrpcChannel QueryChannel => _queryChannel ??= _security.OpenChannel(_queryAddress);

    /// <summary>An HTTP client with the session's key and CA trust (for <c>/metrics</c> and JSON).</summary>
    public HttpClient CreateHttpClient() => _security.CreateHttpClient();

    /// <summary>Writes one message as a single line of proto3 JSON.</summary>
    public void WriteJson(IMessage message) => Console.Out.WriteLine(_jsonLines.Format(message));

    /// <summary>
    /// The model to use: <paramref name="given"/> if set, else the only registered model; fails
    /// with the list when there are none or several.
    /// </summary>
    public async Task<string> ResolveModelAsync(string? given, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        ListModelsResponse models = await Index.ListModelsAsync(new ListModelsRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return OnlyOne(models.Models.Select(m => m.Name).ToList(), "model", "--model", "deepeverest models add --name NAME --path FILE");
    }

    /// <summary>The dataset to use, defaulted like <see cref="ResolveModelAsync"/>.</summary>
    public async Task<string> ResolveDatasetAsync(string? given, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        ListDatasetsResponse datasets = await DatasetsAsync(null, cancellationToken).ConfigureAwait(false);
        return OnlyOne(datasets.Datasets.Select(d => d.Name).ToList(), "dataset", "--dataset", "deepeverest datasets import --name NAME --inputs FILE");
    }

    /// <summary>
    /// The IndexService's datasets, asked once per invocation (defaulting the dataset, label names
    /// and raw targets all read them).
    /// </summary>
    public async Task<ListDatasetsResponse> DatasetsAsync(DateTime? deadline, CancellationToken cancellationToken) =>
        _datasets ??= await Index.ListDatasetsAsync(new ListDatasetsRequest(), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The dataset's label names (<c>DatasetInfo.label_names</c>), for tables read by people; empty
    /// when it names none or the IndexService cannot say (names are a courtesy: a query still prints
    /// its numbers).
    /// </summary>
    public async Task<IReadOnlyDictionary<int, string>> LabelNamesAsync(string dataset, CancellationToken cancellationToken)
    {
        try
        {
            ListDatasetsResponse datasets = await DatasetsAsync(DateTime.UtcNow.AddSeconds(5), cancellationToken).ConfigureAwait(false);
            return datasets.Datasets.FirstOrDefault(d => d.Name == dataset)?.LabelNames.ToDictionary() ?? [];
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            return new Dictionary<int, string>();
        }
    }

    /// <summary>A label as a table shows it: its number, then its name if the dataset has one; "-" for none.</summary>
    public static string LabelText(int label, IReadOnlyDictionary<int, string> names) =>
        label < 0 ? "-"
        : names.TryGetValue(label, out string? name) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{label} {name}")
        : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Prints <paramref name="error"/> as <c>error: ...</c> on stderr; returns the exit code (1).</summary>
    public int ReportError(Exception error)
    {
        string line = error switch
        {
            RpcException rpc when IsTlsFailure(rpc.Status.DebugException) =>
                $"error: the TLS connection failed: {Innermost(rpc.Status.DebugException!).Message} (an https:// service whose certificate is signed by a private CA needs --ca-file or ${GlobalOptions.CaFileVariable})",
            RpcException { StatusCode: StatusCode.Unavailable } rpc =>
                $"error: {rpc.StatusCode}: {rpc.Status.Detail} (is the service running? IndexService at {_indexAddress}, QueryService at {_queryAddress}: set them with --index-service/--query-service or ${GlobalOptions.IndexServiceVariable}/${GlobalOptions.QueryServiceVariable})",
            RpcException { StatusCode: StatusCode.Unauthenticated } rpc =>
                $"error: {rpc.StatusCode}: {rpc.Status.Detail} (give the key with --api-key or ${GlobalOptions.ApiKeyVariable})",
            RpcException rpc => $"error: {rpc.StatusCode}: {ForCliUsers(rpc.Status.Detail)}",
            _ => $"error: {error.Message}",
        };
        Console.Error.WriteLine(line);
        return 1;
    }

    /// <summary>
    /// The service's message with the API calls it points to shown as the commands that make them
    /// (the services speak the API; this command line speaks its own commands).
    /// </summary>
    public static string ForCliUsers(string detail)
    {
        foreach ((string api, string command) in _commandsOfCalls)
        {
            detail = detail.Replace(api, $"{api} (`{command}`)", StringComparison.Ordinal);
        }

        return detail;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _indexChannel?.Dispose();
        _queryChannel?.Dispose();
    }

    private static bool IsTlsFailure(Exception? error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception error)
    {
        Exception e = error;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static string OnlyOne(List<string> names, string what, string option, string howToAdd) => names.Count switch
    {
        1 => names[0],
        0 => throw new CliException($"no {what} is registered; add one with `{howToAdd}`."),
        _ => throw new CliException($"{names.Count} {what}s are registered ({string.Join(", ", names)}); choose one with {option}."),
    };
}
