using DeepEverest.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace DeepEverest.Deploy.Tests.Chart;

/// <summary>
/// The <c>sharded</c> topology (ci/sharded-values.yaml) beyond what every topology is checked for:
/// N shard pods each on a claim of its own with stable names under a headless Service, a router of
/// at least two replicas that names exactly those pods, an Indexed Job whose task i loads shard i,
/// the router's and the Job's keys, and the values the chart refuses.
/// </summary>
public sealed class ShardedChartTests
{
    private const string Values = "sharded-values.yaml";
    private const string KeySecret = "deepeverest-shard-keys";

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    [InlineData(5)]
    public async Task Render_ShardCount_ThatManyShardPodsEachWithItsOwnClaimUnderAHeadlessService(int count)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, $"shards.count={count}");

        V1StatefulSet shards = Assert.Single(chart.All<V1StatefulSet>());
        Assert.Equal(count, shards.Spec.Replicas);
        Assert.Equal("Parallel", shards.Spec.PodManagementPolicy);
        V1PersistentVolumeClaim template = Assert.Single(shards.Spec.VolumeClaimTemplates);
        Assert.Equal(["ReadWriteOnce"], template.Spec.AccessModes);
        Assert.Equal("5Gi", template.Spec.Resources.Requests["storage"].ToString());
        Assert.Empty(chart.All<V1PersistentVolumeClaim>());
        Assert.Equal("Retain", shards.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted);

        // Both services of a shard share its claim: the IndexService writes, the QueryService reads.
        Workload shard = chart.WorkloadOf("index-service");
        Assert.Equal(shards.Metadata.Name, shard.Name);
        Assert.Same(shard, chart.WorkloadOf("query-service"));
        foreach (V1Container container in shard.Pod.Containers)
        {
            Assert.Contains(container.VolumeMounts, m => m.Name == template.Metadata.Name);
        }

        // The governing Service gives every pod a DNS name and publishes both gRPC ports.
        V1Service headless = chart.Single<V1Service>(shards.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.True(RenderedChart.Selects(headless.Spec.Selector, shard.PodLabels));
        Assert.Contains(headless.Spec.Ports, p => p.TargetPort.Value == "index-grpc");
        Assert.Contains(headless.Spec.Ports, p => p.TargetPort.Value == "query-grpc");

        // Clients never reach a shard: the client-facing Service selects the router only.
        V1Service query = chart.Single<V1Service>($"{Helm.Release}-deepeverest-query");
        Assert.False(RenderedChart.Selects(query.Spec.Selector, shard.PodLabels));
        Assert.True(RenderedChart.Selects(query.Spec.Selector, chart.WorkloadOf("router").PodLabels));
        Assert.All(chart.All<V1Ingress>().SelectMany(i => i.Spec.Rules).SelectMany(r => r.Http.Paths), p => Assert.Equal(query.Metadata.Name, p.Backend.Service.Name));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Render_Router_NamesEveryShardPodByItsStableAddressAndNothingElse(int count)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, $"shards.count={count}");
        V1StatefulSet shards = Assert.Single(chart.All<V1StatefulSet>());
        Workload shard = chart.WorkloadOf("index-service");
        V1Container router = chart.WorkloadOf("router").Container("router")!;

        for (int i = 0; i < count; i++)
        {
            // <pod>.<governing service>: the DNS name a StatefulSet's pod i gets, on its own port.
            string host = $"{shards.Metadata.Name}-{i}.{shards.Spec.ServiceName}";
            Assert.Equal($"{shards.Metadata.Name}-{i}", RenderedChart.Env(router, $"DeepEverest__Router__Shards__{i}__Name"));
            AssertAddress(RenderedChart.Env(router, $"DeepEverest__Router__Shards__{i}__QueryUrl"), host, shard, "query-service", "query-grpc");
            AssertAddress(RenderedChart.Env(router, $"DeepEverest__Router__Shards__{i}__IndexUrl"), host, shard, "index-service", "index-grpc");
        }

        Assert.DoesNotContain(router.Env, e => e.Name.StartsWith($"DeepEverest__Router__Shards__{count}__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Render_Router_TwoOrMoreReplicasWithABudgetAndAnOptionalAutoscaler()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values);
        Workload router = chart.WorkloadOf("router");
        V2HorizontalPodAutoscaler hpa = Assert.Single(chart.All<V2HorizontalPodAutoscaler>());
        Assert.Equal(router.Name, hpa.Spec.ScaleTargetRef.Name);
        Assert.Equal("Deployment", hpa.Spec.ScaleTargetRef.Kind);
        Assert.True(hpa.Spec.MinReplicas >= 2);
        Assert.Null(chart.Single<V1Deployment>(router.Name).Spec.Replicas);

        // The router's gRPC health answers SERVING (RouterHealthCheck), so kubelet probes it over gRPC.
        V1Container container = router.Container("router")!;
        Assert.All(new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe }, p => Assert.Equal(("deepeverest.v1.QueryService", container.Ports.Single(c => c.Name == "query-grpc").ContainerPort), (p.Grpc?.Service, p.Grpc?.Port)));
        V1PodDisruptionBudget budget = Assert.Single(chart.All<V1PodDisruptionBudget>(), b => RenderedChart.Selects(b.Spec.Selector, router.PodLabels));
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);

        chart = await RenderedChart.RenderAsync(Values, "router.autoscaling.enabled=false", "router.replicas=3");
        Assert.Empty(chart.All<V2HorizontalPodAutoscaler>());
        Assert.Equal(3, chart.WorkloadOf("router").Replicas);
    }

    [Fact]
    public async Task Render_TlsWithCaKey_RouterAndJobTrustTheShardsCaAndTheJobGetsNoPrivateKey()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, "tls.enabled=true", "tls.secretName=shard-tls", "tls.caKey=ca.crt");
        V1Container router = chart.WorkloadOf("router").Container("router")!;
        V1Job job = Assert.Single(chart.All<V1Job>());
        V1Container task = Assert.Single(job.Spec.Template.Spec.Containers);

        Assert.Equal("/etc/deepeverest/tls/ca.crt", RenderedChart.Env(router, "DeepEverest__Router__ShardCaFile"));
        Assert.StartsWith("https://", RenderedChart.Env(router, "DeepEverest__Router__Shards__0__QueryUrl"), StringComparison.Ordinal);
        Assert.Equal("/etc/deepeverest/tls/ca.crt", RenderedChart.Env(task, "DEEPEVEREST_CA_FILE"));
        V1VolumeMount mount = Assert.Single(task.VolumeMounts, m => m.MountPath == "/etc/deepeverest/tls");
        V1Volume volume = Assert.Single(job.Spec.Template.Spec.Volumes, v => v.Name == mount.Name);
        Assert.Equal("shard-tls", volume.Secret.SecretName);
        Assert.Equal(["ca.crt"], volume.Secret.Items.Select(i => i.Key));

        // With TLS, kubelet's gRPC probes cannot speak it: the router is probed on /healthz over HTTPS.
        Assert.Equal(("/healthz", "HTTPS"), (router.ReadinessProbe.HttpGet?.Path, router.ReadinessProbe.HttpGet?.Scheme));

        // Without caKey the router and the Job trust the system's CAs only.
        chart = await RenderedChart.RenderAsync(Values, "tls.enabled=true", "tls.secretName=shard-tls");
        Assert.DoesNotContain(chart.WorkloadOf("router").Container("router")!.Env, e => e.Name == "DeepEverest__Router__ShardCaFile");
        Assert.DoesNotContain(Assert.Single(chart.All<V1Job>()).Spec.Template.Spec.Containers[0].Env, e => e.Name == "DEEPEVEREST_CA_FILE");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(2)]
    public async Task Render_ShardJob_IndexedWithOneTaskPerShardEachReachingItsShard(int count)
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, $"shards.count={count}");
        V1StatefulSet shards = Assert.Single(chart.All<V1StatefulSet>());
        V1Container router = chart.WorkloadOf("router").Container("router")!;

        V1Job job = Assert.Single(chart.All<V1Job>());
        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.Equal(count, job.Spec.Completions);
        Assert.Equal(count, job.Spec.Parallelism);
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
        V1Container task = Assert.Single(job.Spec.Template.Spec.Containers);
        Assert.Equal(["/bin/bash", "/app/shard-job.sh"], task.Command);

        // Task i imports shard i of count (tools/shard-job.sh adds --shard $JOB_COMPLETION_INDEX/$SHARDS)
        // through the IndexService the router reads shard i's range from.
        Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), RenderedChart.Env(task, "SHARDS"));
        Assert.Equal(count, shards.Spec.Replicas);
        string format = RenderedChart.Env(task, "SHARD_INDEX_URL_FORMAT")!;
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(RenderedChart.Env(router, $"DeepEverest__Router__Shards__{i}__IndexUrl"), format.Replace("%d", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        Assert.DoesNotContain(task.Args, a => a.StartsWith("--shard", StringComparison.Ordinal) || a.StartsWith("--name", StringComparison.Ordinal));
        Assert.Contains("source/t10k-images-idx3-ubyte.gz", task.Args);
        Assert.Equal("/block3/block3.2/Relu_output_0", RenderedChart.Env(task, "LAYERS"));

        // The files the Job names are in the source volume, mounted under the shard's data root.
        V1Container index = chart.WorkloadOf("index-service").Container("index-service")!;
        string root = RenderedChart.Env(index, "DeepEverest__DataRoot")!;
        V1VolumeMount source = Assert.Single(index.VolumeMounts, m => m.Name == "source");
        Assert.Equal($"{root}/source", source.MountPath);
        Assert.True(source.ReadOnlyProperty);
        Assert.StartsWith("source/", RenderedChart.Env(task, "MODEL_PATH"), StringComparison.Ordinal);

        // Locked down like every container, with its own scratch for the read-only root.
        Assert.True(task.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(task.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains("ALL", task.SecurityContext.Capabilities.Drop);
        Assert.True(job.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.False(job.Spec.Template.Spec.AutomountServiceAccountToken);
        Assert.True(task.Resources.Limits.ContainsKey("memory"));
        V1VolumeMount scratch = Assert.Single(task.VolumeMounts, m => m.MountPath == RenderedChart.Env(task, "TMPDIR"));
        Assert.NotNull(job.Spec.Template.Spec.Volumes.Single(v => v.Name == scratch.Name).EmptyDir);
    }

    [Fact]
    public async Task Render_ShardJob_NewNameWhenWhatItDoesChangesSameOtherwise()
    {
        string name = Assert.Single((await RenderedChart.RenderAsync(Values)).All<V1Job>()).Metadata.Name;

        Assert.Equal(name, Assert.Single((await RenderedChart.RenderAsync(Values, "router.replicas=3")).All<V1Job>()).Metadata.Name);
        Assert.NotEqual(name, Assert.Single((await RenderedChart.RenderAsync(Values, "shards.count=4")).All<V1Job>()).Metadata.Name);
        Assert.NotEqual(name, Assert.Single((await RenderedChart.RenderAsync(Values, "shards.job.layers={/block2/block2.1/Relu_output_0}")).All<V1Job>()).Metadata.Name);
        Assert.Empty((await RenderedChart.RenderAsync(Values, "shards.job.enabled=false")).All<V1Job>());
    }

    [Fact]
    public async Task Render_ShardKeys_RouterReadsJobAdministersClientsKeysStayAtTheRouter()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, "auth.enabled=true", "auth.existingSecret=client-keys");
        V1Container router = chart.WorkloadOf("router").Container("router")!;
        V1Container task = Assert.Single(Assert.Single(chart.All<V1Job>()).Spec.Template.Spec.Containers);

        AssertSecretRef(router, "DeepEverest__Router__ShardApiKey", "router-key");
        AssertSecretRef(task, "DEEPEVEREST_API_KEY", "job-key");
        Assert.NotNull(RenderedChart.Env(router, "DeepEverest__Auth__ApiKeysFile"));

        Workload shard = chart.WorkloadOf("index-service");
        foreach (V1Container container in shard.Pod.Containers)
        {
            AssertSecretRef(container, "DeepEverest__Auth__Keys__router__Key", "router-key");
            Assert.Equal("read", RenderedChart.Env(container, "DeepEverest__Auth__Keys__router__Role"));
            AssertSecretRef(container, "DeepEverest__Auth__Keys__job__Key", "job-key");
            Assert.Equal("admin", RenderedChart.Env(container, "DeepEverest__Auth__Keys__job__Role"));
            Assert.Null(RenderedChart.Env(container, "DeepEverest__Auth__ApiKeysFile"));
        }

        Assert.DoesNotContain(shard.Pod.Volumes, v => v.Secret?.SecretName == "client-keys");
    }

    [Theory]
    [InlineData("shards.count=0", "shards.count must be at least 1")]
    [InlineData("shards.count=-2", "shards.count must be at least 1")]
    [InlineData("shards.source=null", "shards.source")]
    [InlineData("shards.job.dataset=", "shards.job.dataset")]
    [InlineData("shards.job.model.path=", "shards.job.model.path")]
    [InlineData("shards.job.importArgs=null", "shards.job.importArgs")]
    [InlineData("shards.job.importArgs={--inputs,a.gz,--shard,1/2}", "must not contain --shard")]
    [InlineData("persistence.existingClaim=data", "persistence.existingClaim must be empty")]
    [InlineData("router.autoscaling.enabled=false,router.replicas=1", "router.replicas must be at least 2")]
    [InlineData("auth.enabled=true,auth.existingSecret=k,shards.auth.existingSecret=", "set shards.auth.existingSecret")]
    [InlineData("queryService.ports.grpc=50051", "four different ports")]
    [InlineData("tls.caKey=ca.crt", "needs tls.enabled=true")]
    public async Task Render_InconsistentValues_RefusedNamingTheValue(string set, string message)
    {
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => Helm.TemplateAsync(Values, [set]));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_Gpu_ShardContainersBuildAndQueryOnThemRouterAndJobDoNot()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, "gpu.enabled=true");

        Workload shard = chart.WorkloadOf("index-service");
        foreach (V1Container container in shard.Pod.Containers)
        {
            Assert.Equal(1, container.Resources.Limits["nvidia.com/gpu"].ToInt32());
            Assert.Equal("Cuda", RenderedChart.Env(container, "DeepEverest__Kernels"));
        }

        Assert.Equal("true", shard.Pod.NodeSelector["nvidia.com/gpu.present"]);
        Workload router = chart.WorkloadOf("router");
        Assert.False(router.Pod.Containers.Single().Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.Null(router.Pod.NodeSelector);
        V1PodSpec task = Assert.Single(chart.All<V1Job>()).Spec.Template.Spec;
        Assert.False(task.Containers.Single().Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.Null(task.NodeSelector);
    }

    [Fact]
    public async Task Render_ServiceMonitor_ScrapesTheRouterAndBothServicesOfEveryShard()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, "metrics.serviceMonitor.enabled=true", "auth.enabled=true", "auth.existingSecret=k",
            "auth.metricsRequireKey=true", "metrics.serviceMonitor.keySecret.name=scrape-key");
        V1StatefulSet shards = Assert.Single(chart.All<V1StatefulSet>());

        ServiceMonitor router = chart.All<ServiceMonitor>().Single(m => m.Metadata.Name == $"{Helm.Release}-deepeverest");
        Assert.Equal([$"{Helm.Release}-deepeverest-query"], chart.All<V1Service>().Where(s => RenderedChart.Selects(router.Spec.Selector, s.Metadata.Labels)).Select(s => s.Metadata.Name));
        Assert.Equal("scrape-key", Assert.Single(router.Spec.Endpoints).Authorization?.Credentials.Name);

        // The shards' /metrics take no key: they read no client key file and set no MetricsRequireKey.
        ServiceMonitor shard = chart.All<ServiceMonitor>().Single(m => m.Metadata.Name == shards.Spec.ServiceName);
        Assert.Equal([shards.Spec.ServiceName], chart.All<V1Service>().Where(s => RenderedChart.Selects(shard.Spec.Selector, s.Metadata.Labels)).Select(s => s.Metadata.Name));
        Assert.Equal(["index-http", "query-http"], shard.Spec.Endpoints.Select(e => e.Port).Order());
        Assert.All(shard.Spec.Endpoints, e => Assert.Null(e.Authorization));
        Assert.All(chart.WorkloadOf("index-service").Pod.Containers, c => Assert.Null(RenderedChart.Env(c, "DeepEverest__Auth__MetricsRequireKey")));
    }

    [Fact]
    public async Task Render_JobDisabled_NeedsNoSource()
    {
        RenderedChart chart = await RenderedChart.RenderAsync(Values, "shards.job.enabled=false", "shards.source=null", "shards.job.importArgs=null");

        Assert.Empty(chart.All<V1Job>());
        Assert.DoesNotContain(chart.WorkloadOf("index-service").Container("index-service")!.VolumeMounts, m => m.Name == "source");
    }

    [Fact]
    public async Task Render_OtherTopologies_RenderNothingOfSharded()
    {
        foreach (string values in RepoPaths.CiValueFiles.Where(f => f != Values))
        {
            RenderedChart chart = await RenderedChart.RenderAsync(values);

            Assert.False(chart.IsSharded, values);
            Assert.Empty(chart.All<V1Job>());
            Assert.Empty(chart.All<V2HorizontalPodAutoscaler>());
            Assert.DoesNotContain(chart.All<V1Service>(), s => s.Metadata.Name.EndsWith("-shards", StringComparison.Ordinal));
        }
    }

    private static void AssertAddress(string? url, string host, Workload shard, string container, string portName)
    {
        Assert.NotNull(url);
        var uri = new Uri(url);
        Assert.Equal("http", uri.Scheme);
        Assert.Equal(host, uri.Host);
        Assert.Equal(shard.Container(container)!.Ports.Single(p => p.Name == portName).ContainerPort, uri.Port);
    }

    private static void AssertSecretRef(V1Container container, string name, string key)
    {
        V1EnvVar env = Assert.Single(container.Env, e => e.Name == name);
        Assert.Equal(KeySecret, env.ValueFrom?.SecretKeyRef?.Name);
        Assert.Equal(key, env.ValueFrom?.SecretKeyRef?.Key);
    }
}
