using k8s;
using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// The objects of one <c>helm template</c> rendering, loaded strictly with KubernetesClient: a
/// field unknown to the Kubernetes API (or, for the ServiceMonitor, to <see cref="ServiceMonitor"/>)
/// fails the load, as does an apiVersion/kind it does not know.
/// </summary>
internal sealed class RenderedChart
{
    private static readonly Dictionary<string, Type> _extraTypes = new() { [ServiceMonitor.TypeKey] = typeof(ServiceMonitor) };

    private RenderedChart(IReadOnlyList<object> objects)
    {
        Objects = objects;
        Workloads = objects.Select(AsWorkload).OfType<Workload>().ToList();
    }

    /// <summary>Every rendered object, in order.</summary>
    public IReadOnlyList<object> Objects { get; }

    /// <summary>Every Deployment and StatefulSet (Jobs are not among them: they serve nothing).</summary>
    public IReadOnlyList<Workload> Workloads { get; }

    /// <summary>Loads a rendered YAML stream strictly.</summary>
    public static RenderedChart Load(string yaml) => new(KubernetesYaml.LoadAllFromString(yaml, _extraTypes, strict: true));

    /// <summary>Renders the chart with one ci/ values file (and extra --set assignments) and loads it.</summary>
    public static async Task<RenderedChart> RenderAsync(string ciValuesFile, params string[] sets) =>
        Load(await Infrastructure.Helm.TemplateAsync(ciValuesFile, sets));

    /// <summary>The objects of type <typeparamref name="T"/>.</summary>
    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    /// <summary>The one object of type <typeparamref name="T"/> called <paramref name="name"/>.</summary>
    public T Single<T>(string name)
        where T : IMetadata<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name) ?? throw new InvalidOperationException($"no {typeof(T).Name} '{name}' was rendered");

    /// <summary>The workload that runs the container called <paramref name="container"/> (exactly one must).</summary>
    public Workload WorkloadOf(string container) => Workloads.Single(w => w.Container(container) is not null);

    /// <summary>Whether this is the <c>sharded</c> topology (a router runs).</summary>
    public bool IsSharded => Workloads.Any(w => w.Container("router") is not null);

    /// <summary>Whether <paramref name="selector"/> selects an object labelled <paramref name="labels"/>.</summary>
    public static bool Selects(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        bool labelsMatch = (selector.MatchLabels ?? new Dictionary<string, string>())
            .All(l => labels.TryGetValue(l.Key, out string? value) && value == l.Value);
        bool expressionsMatch = (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out string? value) && e.Values.Contains(value),
            "NotIn" => !labels.TryGetValue(e.Key, out string? value) || !e.Values.Contains(value),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => throw new InvalidOperationException($"unknown selector operator {e.OperatorProperty}"),
        });
        return labelsMatch && expressionsMatch && (selector.MatchLabels?.Count > 0 || selector.MatchExpressions?.Count > 0);
    }

    /// <summary>Whether a Service's selector (a plain label map) selects <paramref name="labels"/>.</summary>
    public static bool Selects(IDictionary<string, string> serviceSelector, IDictionary<string, string> labels) =>
        Selects(new V1LabelSelector { MatchLabels = serviceSelector }, labels);

    /// <summary>The value of environment variable <paramref name="name"/> of a container (set by value), or null.</summary>
    public static string? Env(V1Container container, string name) =>
        container.Env?.SingleOrDefault(e => e.Name == name)?.Value;

    private static Workload? AsWorkload(object o) => o switch
    {
        V1Deployment d => new Workload("Deployment", d.Metadata.Name, d.Spec.Replicas ?? 1, d.Spec.Selector, d.Spec.Template, []),
        V1StatefulSet s => new Workload("StatefulSet", s.Metadata.Name, s.Spec.Replicas ?? 1, s.Spec.Selector, s.Spec.Template, s.Spec.VolumeClaimTemplates?.ToList() ?? []),
        _ => null,
    };
}
