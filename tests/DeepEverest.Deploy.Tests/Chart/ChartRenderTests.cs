using DeepEverest.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// Renders the chart with every value set of <c>helm/deepeverest/ci/</c>, loads each object strictly
/// with KubernetesClient, and checks what a cluster would only reveal at run time: selectors, port
/// names, probes, resources, security, where the data root is, and that the QueryService reads the
/// store the IndexService writes.
/// </summary>
public sealed class ChartRenderTests
{
    private const string IndexContainer = "index-service";
    private const string QueryContainer = "query-service";
    private const string RouterContainer = "router";

    /// <summary>The file names of <c>helm/deepeverest/ci/*-values.yaml</c>.</summary>
    public static TheoryData<string> CiValueFiles => new(RepoPaths.CiValueFiles);

    [Fact]
    public void CiValueFiles_CoverTheRequiredValueSets_AllPresent()
    {
        string[] files = RepoPaths.CiValueFiles.ToArray();

        foreach (string required in new[] { "default", "shared-volume", "gpu", "ingress", "sharded" })
        {
            Assert.Contains($"{required}-values.yaml", files);
        }
    }

    [Fact]
    public async Task Load_UnknownField_FailsTheStrictLoad()
    {
        string yaml = await Helm.TemplateAsync("default-values.yaml");
        string tampered = yaml.Replace("      terminationGracePeriodSeconds:", "      terminationGracePeriod: 1\n      terminationGracePeriodSeconds:", StringComparison.Ordinal);
        Assert.NotEqual(yaml, tampered);

        Assert.ThrowsAny<Exception>(() => RenderedChart.Load(tampered));
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_WorkloadsAndPdbs_SelectorsMatchTheirPods(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        Assert.NotEmpty(chart.Workloads);
        foreach (Workload workload in chart.Workloads)
        {
            Assert.True(RenderedChart.Selects(workload.Selector, workload.PodLabels), $"{workload.Name}: selector does not match its pod labels");
            Assert.Single(chart.Workloads, w => RenderedChart.Selects(workload.Selector, w.PodLabels));
        }

        foreach (V1PodDisruptionBudget pdb in chart.All<V1PodDisruptionBudget>())
        {
            Assert.Single(chart.Workloads, w => RenderedChart.Selects(pdb.Spec.Selector, w.PodLabels));
        }

        Assert.Equal(chart.Workloads.Count, chart.All<V1PodDisruptionBudget>().Count());
        foreach (V1StatefulSet set in chart.All<V1StatefulSet>())
        {
            V1Service governing = chart.Single<V1Service>(set.Spec.ServiceName);
            Assert.Equal("None", governing.Spec.ClusterIP);
        }
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_ServicesIngressAndMonitor_EveryPortNamesAContainerPort(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        foreach (V1Service service in chart.All<V1Service>())
        {
            List<Workload> selected = chart.Workloads.Where(w => RenderedChart.Selects(service.Spec.Selector, w.PodLabels)).ToList();
            Assert.NotEmpty(selected);
            foreach (V1ServicePort port in service.Spec.Ports)
            {
                foreach (Workload workload in selected)
                {
                    Assert.Contains(workload.Pod.Containers.SelectMany(c => c.Ports), p => p.Name == port.TargetPort.Value);
                }
            }
        }

        // Clients find both services under the same names whatever the topology; sharded has no single
        // IndexService (each shard's is reached by the router and the shard Job only).
        string[] clientServices = chart.IsSharded
            ? [$"{Helm.Release}-deepeverest-query"]
            : [$"{Helm.Release}-deepeverest-index", $"{Helm.Release}-deepeverest-query"];
        foreach (string name in clientServices)
        {
            V1Service service = chart.Single<V1Service>(name);
            Assert.Equal(["grpc", "http"], service.Spec.Ports.Select(p => p.Name).Order());
        }

        foreach (V1Ingress ingress in chart.All<V1Ingress>())
        {
            foreach (V1HTTPIngressPath path in ingress.Spec.Rules.SelectMany(r => r.Http.Paths))
            {
                V1Service backend = chart.Single<V1Service>(path.Backend.Service.Name);
                Assert.Contains(backend.Spec.Ports, p => p.Name == path.Backend.Service.Port.Name);
            }
        }

        foreach (ServiceMonitor monitor in chart.All<ServiceMonitor>())
        {
            List<V1Service> scraped = chart.All<V1Service>().Where(s => RenderedChart.Selects(monitor.Spec.Selector, s.Metadata.Labels)).ToList();

            // sharded: a second monitor scrapes the shards through their governing Service.
            bool shards = chart.All<V1StatefulSet>().Any(s => s.Spec.ServiceName == monitor.Metadata.Name);
            Assert.Equal(shards ? [monitor.Metadata.Name] : clientServices, scraped.Select(s => s.Metadata.Name).Order());
            Assert.All(monitor.Spec.Endpoints, e => Assert.All(scraped, s => Assert.Contains(s.Spec.Ports, p => p.Name == e.Port)));
            Assert.All(monitor.Spec.Endpoints, e => Assert.Equal("/metrics", e.Path));
        }
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_EveryContainer_HasProbesOnItsOwnPortsResourcesAndALockedDownSecurityContext(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        foreach (Workload workload in chart.Workloads)
        {
            V1PodSecurityContext pod = workload.Pod.SecurityContext;
            Assert.False(workload.Pod.AutomountServiceAccountToken ?? true);
            foreach (V1Container container in workload.Pod.Containers)
            {
                string where = $"{workload.Name}/{container.Name}";
                string service = container.Name == IndexContainer ? "deepeverest.v1.IndexService" : "deepeverest.v1.QueryService";
                foreach (V1Probe probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
                {
                    Assert.NotNull(probe);
                    if (probe.Grpc is { } grpc)
                    {
                        Assert.Contains(container.Ports, p => p.ContainerPort == grpc.Port && p.Name.EndsWith("-grpc", StringComparison.Ordinal));
                        Assert.Equal(service, grpc.Service);
                    }
                    else
                    {
                        Assert.NotNull(probe.HttpGet);
                        Assert.Contains(container.Ports, p => p.ContainerPort.ToString() == probe.HttpGet.Port.Value || p.Name == probe.HttpGet.Port.Value);
                        Assert.Equal("/healthz", probe.HttpGet.Path);
                    }
                }

                Assert.True(container.Resources?.Requests?.ContainsKey("cpu"), $"{where}: no CPU request");
                Assert.True(container.Resources?.Requests?.ContainsKey("memory"), $"{where}: no memory request");
                Assert.True(container.Resources?.Limits?.ContainsKey("memory"), $"{where}: no memory limit");

                V1SecurityContext security = container.SecurityContext;
                Assert.NotNull(security);
                Assert.True(security.ReadOnlyRootFilesystem, $"{where}: root filesystem is writable");
                Assert.False(security.AllowPrivilegeEscalation ?? true, $"{where}: privilege escalation allowed");
                Assert.False(security.Privileged ?? false, $"{where}: privileged");
                Assert.Contains("ALL", security.Capabilities?.Drop ?? []);
                Assert.Null(security.Capabilities?.Add);
                Assert.True(security.RunAsNonRoot ?? pod?.RunAsNonRoot, $"{where}: may run as root");
                Assert.NotEqual(0, security.RunAsUser ?? pod?.RunAsUser);
                Assert.Equal("RuntimeDefault", security.SeccompProfile?.Type ?? pod?.SeccompProfile?.Type);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_DataRootAndScratch_AreMountedWhereTheSettingsSay(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        foreach (Workload workload in chart.Workloads)
        {
            foreach (V1Container container in workload.Pod.Containers)
            {
                string where = $"{workload.Name}/{container.Name}";
                if (container.Name == RouterContainer)
                {
                    // The router holds no data: no data root, no claim.
                    Assert.Null(RenderedChart.Env(container, "DeepEverest__DataRoot"));
                    Assert.Empty(workload.ClaimTemplates);
                    Assert.DoesNotContain(workload.Pod.Volumes, v => v.PersistentVolumeClaim is not null);
                }
                else
                {
                    V1VolumeMount data = MountAt(container, RenderedChart.Env(container, "DeepEverest__DataRoot"), where);
                    Assert.NotNull(workload.ClaimOf(data.Name));
                }

                V1VolumeMount scratch = MountAt(container, RenderedChart.Env(container, "TMPDIR"), where);
                Assert.NotNull(workload.Volume(scratch.Name).EmptyDir);
                Assert.False(scratch.ReadOnlyProperty ?? false);

                // Each container has scratch space of its own (a QueryService's secondary directory).
                Assert.Single(workload.Pod.Containers.SelectMany(c => c.VolumeMounts), m => m.Name == scratch.Name);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_QueryService_ReadsTheStoreTheOnlyIndexServiceWrites(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        Workload writer = chart.WorkloadOf(IndexContainer);
        if (writer.ClaimTemplates.Count > 0)
        {
            // sharded: every pod is a store of its own, its IndexService the only writer of its claim.
            Assert.Equal("StatefulSet", writer.Kind);
            Assert.Same(writer, chart.WorkloadOf(QueryContainer));
            (string podClaim, string podRoot, bool readOnly) = Store(writer, IndexContainer);
            Assert.False(readOnly);
            (string queryClaim, string queryRoot, _) = Store(writer, QueryContainer);
            Assert.Equal(podClaim, queryClaim);
            Assert.Equal(podRoot, queryRoot);
            V1PersistentVolumeClaim template = Assert.Single(writer.ClaimTemplates, t => t.Metadata.Name == podClaim);
            Assert.Equal(["ReadWriteOnce"], template.Spec.AccessModes);
            Assert.Empty(chart.All<V1PersistentVolumeClaim>());
            return;
        }

        Assert.Equal(1, writer.Replicas);
        Assert.True(writer.Kind == "StatefulSet" || chart.Single<V1Deployment>(writer.Name).Spec.Strategy.Type == "Recreate", "a second writer could start during a rollout");
        (string writerClaim, string writerRoot, bool writerReadOnly) = Store(writer, IndexContainer);
        Assert.False(writerReadOnly);

        Workload reader = chart.WorkloadOf(QueryContainer);
        (string readerClaim, string readerRoot, _) = Store(reader, QueryContainer);
        Assert.Equal(writerClaim, readerClaim);
        Assert.Equal(writerRoot, readerRoot);

        // No ci/ value set names an existing claim: the chart creates the one both mount.
        V1PersistentVolumeClaim claim = chart.Single<V1PersistentVolumeClaim>(writerClaim);
        Assert.Equal([reader == writer ? "ReadWriteOnce" : "ReadWriteMany"], claim.Spec.AccessModes);
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_Endpoints_ListenOnTheDeclaredContainerPorts(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);
        bool tls = values.StartsWith("tls", StringComparison.Ordinal);

        foreach (Workload workload in chart.Workloads)
        {
            foreach (V1Container container in workload.Pod.Containers)
            {
                foreach ((string endpoint, string suffix) in new[] { ("Grpc", "-grpc"), ("Http", "-http") })
                {
                    var url = new Uri(RenderedChart.Env(container, $"Kestrel__Endpoints__{endpoint}__Url")!.Replace("*", "0.0.0.0", StringComparison.Ordinal));
                    V1ContainerPort port = Assert.Single(container.Ports, p => p.Name.EndsWith(suffix, StringComparison.Ordinal));
                    Assert.Equal(port.ContainerPort, url.Port);
                    Assert.Equal(tls ? "https" : "http", url.Scheme);
                    if (tls)
                    {
                        string certificate = RenderedChart.Env(container, $"Kestrel__Endpoints__{endpoint}__Certificate__Path")!;
                        Assert.Contains(container.VolumeMounts, m => certificate.StartsWith(m.MountPath + "/", StringComparison.Ordinal) && workload.Volume(m.Name).Secret is not null);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_Shutdown_DrainsWithinTheGracePeriod(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        foreach (Workload workload in chart.Workloads)
        {
            foreach (V1Container container in workload.Pod.Containers)
            {
                long preStop = container.Lifecycle.PreStop.Sleep.Seconds;
                int drain = int.Parse(RenderedChart.Env(container, "DOTNET_SHUTDOWNTIMEOUTSECONDS")!, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(drain > 0);
                Assert.True(workload.Pod.TerminationGracePeriodSeconds > preStop + drain, $"{workload.Name}: the kubelet would kill {container.Name} while it drains");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_GpuContainers_RunCudaKernelsOnGpuNodes(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);
        int gpus = 0;

        foreach (Workload workload in chart.Workloads)
        {
            foreach (V1Container container in workload.Pod.Containers)
            {
                if (container.Resources.Limits.TryGetValue("nvidia.com/gpu", out ResourceQuantity? count))
                {
                    gpus += count.ToInt32();
                    Assert.Equal("Cuda", RenderedChart.Env(container, "DeepEverest__Kernels"));
                    Assert.Contains(workload.Pod.Tolerations, t => t.Key == "nvidia.com/gpu");
                    Assert.Equal("true", workload.Pod.NodeSelector["nvidia.com/gpu.present"]);
                }
                else
                {
                    Assert.NotEqual("Cuda", RenderedChart.Env(container, "DeepEverest__Kernels"));
                }
            }
        }

        Assert.Equal(values == "gpu-values.yaml", gpus > 0);
    }

    [Fact]
    public async Task Render_GpuForTheIndexServiceOnly_LeavesTheQueryServiceOnItsKernels()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("default-values.yaml", "gpu.enabled=true", "gpu.queryService=0", "kernels=Cpu");

        V1Container index = chart.WorkloadOf(IndexContainer).Container(IndexContainer)!;
        V1Container query = chart.WorkloadOf(QueryContainer).Container(QueryContainer)!;
        Assert.Equal("Cuda", RenderedChart.Env(index, "DeepEverest__Kernels"));
        Assert.Equal(1, index.Resources.Limits["nvidia.com/gpu"].ToInt32());
        Assert.Equal("Cpu", RenderedChart.Env(query, "DeepEverest__Kernels"));
        Assert.False(query.Resources.Limits.ContainsKey("nvidia.com/gpu"));
    }

    [Theory]
    [MemberData(nameof(CiValueFiles))]
    public async Task Render_AuthEnabled_MountsTheKeysWhereTheSettingPoints(string values)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(values);

        foreach (Workload workload in chart.Workloads)
        {
            foreach (V1Container container in workload.Pod.Containers)
            {
                if (RenderedChart.Env(container, "DeepEverest__Auth__ApiKeysFile") is not { } keys)
                {
                    continue;
                }

                // A pod whose Secret holds no valid key must fail at start, not serve openly.
                Assert.Equal("true", RenderedChart.Env(container, "DeepEverest__Auth__Enabled"));
                V1VolumeMount mount = Assert.Single(container.VolumeMounts, m => keys.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
                Assert.True(mount.ReadOnlyProperty);
                V1SecretVolumeSource secret = workload.Volume(mount.Name).Secret;
                Assert.NotNull(secret);
                Assert.Contains(secret.Items, i => i.Path == Path.GetFileName(keys));
            }
        }
    }

    private static V1VolumeMount MountAt(V1Container container, string? path, string where)
    {
        Assert.False(string.IsNullOrEmpty(path), $"{where}: setting not rendered");
        return container.VolumeMounts.SingleOrDefault(m => m.MountPath == path)
            ?? throw new Xunit.Sdk.XunitException($"{where}: nothing is mounted at {path}");
    }

    /// <summary>The claim, data root (relative to its mount) and read-only flag of a container's store.</summary>
    private static (string Claim, string RootInVolume, bool ReadOnly) Store(Workload workload, string containerName)
    {
        V1Container container = workload.Container(containerName)!;
        string root = RenderedChart.Env(container, "DeepEverest__DataRoot")!;
        V1VolumeMount mount = container.VolumeMounts
            .Where(m => root == m.MountPath || root.StartsWith(m.MountPath + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.MountPath.Length)
            .First();
        string claim = workload.ClaimOf(mount.Name) ?? throw new Xunit.Sdk.XunitException($"{workload.Name}/{containerName}: the data root is on no claim");
        return (claim, Path.GetRelativePath(mount.MountPath, root), mount.ReadOnlyProperty ?? false);
    }
}
