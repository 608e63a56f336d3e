using System.Text.Json;
using DeepEverest.Deploy.Tests.Infrastructure;
using DeepEverest.Hosting.Security;
using DeepEverest.Router;
using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// The chart sets the services by environment (<c>DeepEverest__Limits__MaxConcurrentQueries</c>);
/// a misspelt name is silently ignored by .NET configuration. These tests hold every name the
/// chart renders against the keys the services' <c>appsettings.json</c> list, and check that the
/// security and limit values reach the settings they document.
/// </summary>
public sealed class ChartSettingsTests
{
    /// <summary>Settings the services read that appsettings.json leaves out on purpose.</summary>
    private static readonly HashSet<string> _unlisted = new(StringComparer.OrdinalIgnoreCase)
    {
        // Tri-state: unset means "on exactly when keys are configured" (docs/security.md).
        "DeepEverest:Auth:Enabled",
    };

    /// <summary>
    /// Settings that are collections (empty in appsettings.json): a list (elements by index) or a
    /// map (by id), and the type whose properties each element's keys name.
    /// </summary>
    private static readonly Dictionary<string, (Type Element, bool ByIndex)> _collections = new(StringComparer.OrdinalIgnoreCase)
    {
        [RouterOptions.SectionName + ":" + nameof(RouterOptions.Shards)] = (typeof(ShardOptions), true),
        [AuthOptions.SectionName + ":" + nameof(AuthOptions.Keys)] = (typeof(ApiKeyEntry), false),
    };

    /// <summary>The file names of <c>helm/deepeverest/ci/*-values.yaml</c>.</summary>
    public static TheoryData<string> CiValueFiles => new(RepoPaths.CiValueFiles);

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_ServiceSettings_NameKeysTheServicesRead(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values, "auth.enabled=true", "auth.existingSecret=keys", "auth.metricsRequireKey=true",
            "metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.keySecret.name=scrape-key");

        var containers = new List<(string Container, string Project)> { ("index-service", "IndexService"), ("query-service", "QueryService") };
        if (chart.IsSharded)
        {
            containers.Add(("router", "Router"));
        }

        foreach ((string container, string project) in containers)
        {
            HashSet<string> known = AppSettingsKeys(project);
            V1Container rendered = chart.WorkloadOf(container).Container(container)!;
            foreach (V1EnvVar env in rendered.Env)
            {
                if (!env.Name.StartsWith("DeepEverest__", StringComparison.Ordinal) && !env.Name.StartsWith("Logging__", StringComparison.Ordinal))
                {
                    continue;
                }

                string key = env.Name.Replace("__", ":", StringComparison.Ordinal);
                Assert.True(known.Contains(key) || _unlisted.Contains(key) || known.Contains(ArrayParent(key)) || IsCollectionElement(key, known),
                    $"{container}: {env.Name} names no setting of src/{project}/appsettings.json");
            }
        }
    }

    [Fact]
    public async Task Render_ConcurrencyAndApiValues_ReachTheLimitSettings()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(
            "default-values.yaml",
            "queryService.concurrency.maxQueries=7",
            "queryService.concurrency.maxQueriesPerClient=3",
            "queryService.concurrency.maxScans=2",
            "queryService.concurrency.maxScansPerClient=1",
            "queryService.query.inferenceSessions=4",
            "api.maxReceiveMessageMb=16",
            "api.requestLogLevel=Warning");

        V1Container query = chart.WorkloadOf("query-service").Container("query-service")!;
        Assert.Equal("7", RenderedChart.Env(query, "DeepEverest__Limits__MaxConcurrentQueries"));
        Assert.Equal("3", RenderedChart.Env(query, "DeepEverest__Limits__MaxConcurrentQueriesPerClient"));
        Assert.Equal("2", RenderedChart.Env(query, "DeepEverest__Limits__MaxConcurrentScans"));
        Assert.Equal("1", RenderedChart.Env(query, "DeepEverest__Limits__MaxConcurrentScansPerClient"));
        Assert.Equal("4", RenderedChart.Env(query, "DeepEverest__Query__InferenceSessions"));
        foreach (string container in new[] { "index-service", "query-service" })
        {
            V1Container c = chart.WorkloadOf(container).Container(container)!;
            Assert.Equal("16", RenderedChart.Env(c, "DeepEverest__Limits__MaxReceiveMessageMb"));
            Assert.Equal("Warning", RenderedChart.Env(c, "Logging__LogLevel__DeepEverest.Requests"));
        }
    }

    [Fact]
    public async Task Render_MetricsRequireKey_SetsBothServicesAndTheMonitorSendsTheKey()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("default-values.yaml", "auth.enabled=true", "auth.existingSecret=keys", "auth.metricsRequireKey=true",
            "metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.keySecret.name=scrape-key");

        foreach (string container in new[] { "index-service", "query-service" })
        {
            Assert.Equal("true", RenderedChart.Env(chart.WorkloadOf(container).Container(container)!, "DeepEverest__Auth__MetricsRequireKey"));
        }

        ServiceMonitorEndpoint endpoint = Assert.Single(Assert.Single(chart.All<ServiceMonitor>()).Spec.Endpoints);
        Assert.Equal("Bearer", endpoint.Authorization?.Type);
        Assert.Equal("scrape-key", endpoint.Authorization?.Credentials.Name);
        Assert.Equal("metrics-key", endpoint.Authorization?.Credentials.Key);

        // Without auth the setting means nothing: no variable, and the monitor sends no key.
        chart = await RenderedChart.RenderAsync("default-values.yaml", "auth.metricsRequireKey=true", "metrics.serviceMonitor.enabled=true");
        Assert.Null(RenderedChart.Env(chart.WorkloadOf("query-service").Container("query-service")!, "DeepEverest__Auth__MetricsRequireKey"));
        Assert.Null(Assert.Single(Assert.Single(chart.All<ServiceMonitor>()).Spec.Endpoints).Authorization);
    }

    [Fact]
    public async Task Render_MetricsRequireKeyWithoutKeySecret_FailsNamingTheValue()
    {
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => Helm.TemplateAsync("default-values.yaml",
            ["auth.enabled=true", "auth.existingSecret=keys", "auth.metricsRequireKey=true", "metrics.serviceMonitor.enabled=true"]));
        Assert.Contains("metrics.serviceMonitor.keySecret.name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MessageLimitOutOfRange_RefusedByTheSchema()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Helm.TemplateAsync("default-values.yaml", ["api.maxReceiveMessageMb=1"]));
    }

    /// <summary><c>DeepEverest:Http:CorsOrigins:0</c> is an element of the array <c>DeepEverest:Http:CorsOrigins</c>.</summary>
    private static string ArrayParent(string key)
    {
        int colon = key.LastIndexOf(':');
        return colon > 0 && key[(colon + 1)..].All(char.IsAsciiDigit) ? key[..colon] : key;
    }

    /// <summary>
    /// <c>DeepEverest:Router:Shards:0:QueryUrl</c> is property QueryUrl of an element of the list
    /// <c>DeepEverest:Router:Shards</c> (a <see cref="ShardOptions"/>); <c>DeepEverest:Auth:Keys:router:Key</c>
    /// property Key of the map entry <c>router</c> (an <see cref="ApiKeyEntry"/>).
    /// </summary>
    private static bool IsCollectionElement(string key, HashSet<string> known)
    {
        foreach ((string collection, (Type element, bool byIndex)) in _collections)
        {
            if (!known.Contains(collection) || !key.StartsWith(collection + ":", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string[] rest = key[(collection.Length + 1)..].Split(':');
            if (rest.Length == 2 && (!byIndex || rest[0].All(char.IsAsciiDigit)) && element.GetProperty(rest[1]) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every key of a service's appsettings.json, objects flattened with ':' (arrays and empty objects are keys too).</summary>
    private static HashSet<string> AppSettingsKeys(string project)
    {
        string path = Path.Combine(RepoPaths.Root, "src", project, "appsettings.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Flatten(doc.RootElement, prefix: null, keys);
        return keys;
    }

    private static void Flatten(JsonElement element, string? prefix, HashSet<string> keys)
    {
        if (prefix is not null)
        {
            keys.Add(prefix);
        }

        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                Flatten(property.Value, prefix is null ? property.Name : prefix + ":" + property.Name, keys);
            }
        }
    }
}
