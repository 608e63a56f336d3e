using DeepEverest.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// The ingress routes by path, with Kubernetes' matching rules (longest match; Exact before
/// Prefix; Prefix by whole path segments). These tests replay every HTTP route of the protos and
/// every gRPC-Web method path against the rendered Ingress, so a route added to a proto cannot
/// silently land on the wrong service.
/// </summary>
public sealed class IngressRoutingTests
{
    private static readonly string _indexService = $"{Helm.Release}-deepeverest-index";
    private static readonly string _queryService = $"{Helm.Release}-deepeverest-query";
    private static readonly string _protos = Path.Combine(RepoPaths.Root, "protos", "deepeverest", "v1");

    [Fact]
    public async Task Ingress_SameOriginRouting_SendsEveryRouteToItsService()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("ingress-values.yaml");
        V1Ingress ingress = Assert.Single(chart.All<V1Ingress>());
        IReadOnlyList<ProtoHttpRoute> routes = ProtoHttpRoute.Read(_protos);
        Assert.Contains(routes, r => r.Service == "IndexService");
        Assert.Contains(routes, r => r.Service == "QueryService");

        foreach (ProtoHttpRoute route in routes)
        {
            Assert.True(
                ServiceFor(route.Service) == Route(ingress, route.SamplePath),
                $"{route.Verb} {route.PathTemplate} ({route.Service}.{route.Rpc}) is routed to {Route(ingress, route.SamplePath)}");
        }

        foreach ((string service, string rpc) in ProtoHttpRoute.ReadRpcs(_protos))
        {
            Assert.Equal(ServiceFor(service), Route(ingress, $"/deepeverest.v1.{service}/{rpc}"));
        }

        foreach (string path in new[] { "/", "/index.html", "/console-config.json", "/metrics", "/healthz" })
        {
            Assert.Equal(_queryService, Route(ingress, path));
        }

        // The console calls the IndexService on its own origin.
        V1Container query = chart.WorkloadOf("query-service").Container("query-service")!;
        Assert.Equal("", RenderedChart.Env(query, "DeepEverest__Console__IndexServiceUrl"));
    }

    [Fact]
    public async Task Ingress_QueryServiceOnly_SendsEverythingToTheQueryService()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("ingress-values.yaml", "ingress.routeIndexService=false");
        V1Ingress ingress = Assert.Single(chart.All<V1Ingress>());

        foreach (ProtoHttpRoute route in ProtoHttpRoute.Read(_protos))
        {
            Assert.Equal(_queryService, Route(ingress, route.SamplePath));
        }

        V1Container query = chart.WorkloadOf("query-service").Container("query-service")!;
        Assert.DoesNotContain(query.Env, e => e.Name == "DeepEverest__Console__IndexServiceUrl");
    }

    private static string ServiceFor(string grpcService) => grpcService switch
    {
        "IndexService" => _indexService,
        "QueryService" => _queryService,
        _ => throw new InvalidOperationException($"unknown service {grpcService}"),
    };

    /// <summary>The backend Service of <paramref name="path"/> by Kubernetes' Ingress path matching.</summary>
    private static string? Route(V1Ingress ingress, string path)
    {
        V1HTTPIngressPath? best = ingress.Spec.Rules
            .SelectMany(r => r.Http.Paths)
            .Where(p => Matches(p, path))
            .OrderByDescending(p => p.Path.TrimEnd('/').Length)
            .ThenBy(p => p.PathType == "Exact" ? 0 : 1)
            .FirstOrDefault();
        return best?.Backend.Service.Name;
    }

    private static bool Matches(V1HTTPIngressPath rule, string path)
    {
        if (rule.PathType == "Exact")
        {
            return rule.Path == path;
        }

        Assert.Equal("Prefix", rule.PathType);
        string prefix = rule.Path.TrimEnd('/');
        return prefix.Length == 0 || path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);
    }
}
