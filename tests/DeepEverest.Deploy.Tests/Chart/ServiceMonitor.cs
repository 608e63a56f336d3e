using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// The fields of a Prometheus Operator <c>monitoring.coreos.com/v1</c> ServiceMonitor that the chart
/// may render (KubernetesClient has no model for this custom resource). Loaded strictly: a field not
/// declared here, that is one the chart should not render, fails the load.
/// </summary>
internal sealed class ServiceMonitor
{
    /// <summary>The type map key KubernetesYaml looks the kind up by.</summary>
    public const string TypeKey = "monitoring.coreos.com/v1/ServiceMonitor";

    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public ServiceMonitorSpec Spec { get; set; } = new();
}

/// <summary>The spec of a <see cref="ServiceMonitor"/>.</summary>
internal sealed class ServiceMonitorSpec
{
    public string? JobLabel { get; set; }

    public V1LabelSelector Selector { get; set; } = new();

    public List<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}

/// <summary>One scrape endpoint of a <see cref="ServiceMonitor"/>.</summary>
internal sealed class ServiceMonitorEndpoint
{
    public string Port { get; set; } = "";

    public string Path { get; set; } = "";

    public string Scheme { get; set; } = "";

    public string? Interval { get; set; }

    public string? ScrapeTimeout { get; set; }

    public ServiceMonitorTlsConfig? TlsConfig { get; set; }

    public ServiceMonitorAuthorization? Authorization { get; set; }
}

/// <summary>The credentials Prometheus sends to a <see cref="ServiceMonitorEndpoint"/>.</summary>
internal sealed class ServiceMonitorAuthorization
{
    public string Type { get; set; } = "";

    public V1SecretKeySelector Credentials { get; set; } = new();
}

/// <summary>The TLS settings of a <see cref="ServiceMonitorEndpoint"/>.</summary>
internal sealed class ServiceMonitorTlsConfig
{
    public bool InsecureSkipVerify { get; set; }
}
