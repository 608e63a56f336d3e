using System.Text.RegularExpressions;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// An HTTP route of a gRPC method: its <c>google.api.http</c> annotation in the .proto files (JSON
/// transcoding), read with a line scanner good enough for our own protos.
/// </summary>
/// <param name="Service">The gRPC service, e.g. <c>IndexService</c>.</param>
/// <param name="Rpc">The method, e.g. <c>BuildIndex</c>.</param>
/// <param name="Verb">get, post, put, delete or patch.</param>
/// <param name="PathTemplate">The path template, e.g. <c>/v1/models/{model}/layers</c>.</param>
internal sealed partial record ProtoHttpRoute(string Service, string Rpc, string Verb, string PathTemplate)
{
    /// <summary>A concrete path the template matches (each variable replaced by a sample segment).</summary>
    public string SamplePath => Variable().Replace(PathTemplate, "sample");

    /// <summary>Every service and rpc declared in the .proto files of <paramref name="folder"/>.</summary>
    public static IReadOnlyList<(string Service, string Rpc)> ReadRpcs(string folder) =>
        Scan(folder).Where(e => e.Verb is null).Select(e => (e.Service, e.Rpc)).ToList();

    /// <summary>Every HTTP route declared in the .proto files of <paramref name="folder"/>.</summary>
    public static IReadOnlyList<ProtoHttpRoute> Read(string folder) =>
        Scan(folder).Where(e => e.Verb is not null).Select(e => new ProtoHttpRoute(e.Service, e.Rpc, e.Verb!, e.Path!)).ToList();

    private static IEnumerable<(string Service, string Rpc, string? Verb, string? Path)> Scan(string folder)
    {
        foreach (string file in Directory.GetFiles(folder, "*.proto").Order(StringComparer.Ordinal))
        {
            string service = "";
            string rpc = "";
            foreach (string line in File.ReadLines(file))
            {
                if (ServiceLine().Match(line) is { Success: true } s)
                {
                    service = s.Groups[1].Value;
                }
                else if (RpcLine().Match(line) is { Success: true } r)
                {
                    rpc = r.Groups[1].Value;
                    yield return (service, rpc, null, null);
                }
                else if (RouteLine().Match(line) is { Success: true } h && rpc.Length > 0)
                {
                    yield return (service, rpc, h.Groups[1].Value, h.Groups[2].Value);
                }
            }
        }
    }

    [GeneratedRegex(@"^\s*service\s+(\w+)\s*\{")]
    private static partial Regex ServiceLine();

    [GeneratedRegex(@"^\s*rpc\s+(\w+)\s*\(")]
    private static partial Regex RpcLine();

    [GeneratedRegex(@"^\s*(get|post|put|delete|patch)\s*:\s*""([^""]+)""")]
    private static partial Regex RouteLine();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Variable();
}
