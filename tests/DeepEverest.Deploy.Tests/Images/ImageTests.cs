using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DeepEverest.Contracts.V1;
using DeepEverest.Deploy.Tests.Chart;
using DeepEverest.Deploy.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using k8s.Models;
using Xunit.Abstractions;

namespace DeepEverest.Deploy.Tests.Images;

/// <summary>
/// The images of <c>make images</c>, run under podman exactly as the rendered chart describes
/// their pods (<see cref="PodmanPod"/>): a real dataset is imported and indexed, queries stream
/// over native gRPC, gRPC-Web and JSON, <c>/metrics</c> counts them, and SIGTERM stops every
/// container cleanly within its grace period. Category "Images": <c>make test-images</c> runs
/// them after building the images (they take minutes; <c>make test</c> leaves them out).
/// </summary>
[Trait("Category", "Images")]
[Collection(nameof(ImageTests))]
public sealed class ImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";
    private const string Layer = "/block3/block3.2/Relu_output_0";
    private const string IndexContainer = "index-service";
    private const string QueryContainer = "query-service";

    private readonly string _root = Directory.CreateTempSubdirectory("deepeverest-images-").FullName;
    private readonly List<PodmanPod> _pods = [];
    private readonly string _podPrefix = $"de-images-{Guid.NewGuid():N}"[..20];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (PodmanPod pod in _pods)
        {
            await pod.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task SinglePod_ImportBuildQueryScrapeStop_AllThroughTheRenderedManifest()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("default-values.yaml");
        Workload workload = Assert.Single(chart.Workloads);
        Dictionary<string, string> claims = await PrepareDataAsync(chart, workload);
        PodmanPod pod = await StartAsync("single", workload, claims);
        await WaitReadyAsync(pod);

        LayerRef layer = await ImportAndBuildAsync(pod);

        var similar = new TopKSimilarRequest
        {
            Layer = layer,
            Target = new Target { InputId = 0 },
            Group = new NeuronGroup { TopOfTarget = 3 },
            K = 10,
        };
        using GrpcChannel native = DeployedServices.Native(pod.Url("query-grpc"));
        var query = new QueryService.QueryServiceClient(native);
        List<TopKUpdate> bounds = await DeployedServices.ReadAllAsync(query.TopKSimilar(similar, deadline: Deadline()));
        TopKUpdate exact = bounds[^1];
        Assert.True(exact.Done);
        Assert.Equal(10, exact.Hits.Count);
        Assert.All(exact.Hits, hit => Assert.True(hit.Final));
        Assert.True(exact.Stats.InputsPruned > 0, "the index pruned nothing: was it used?");

        // Brute force over every input answers the same, bit for bit.
        TopKSimilarRequest bruteForce = similar.Clone();
        bruteForce.Options = new QueryOptions { Strategy = Strategy.ReprocessAll };
        TopKUpdate reference = (await DeployedServices.ReadAllAsync(query.TopKSimilar(bruteForce, deadline: Deadline())))[^1];
        Assert.Equal(Answers(reference), Answers(exact));

        // gRPC-Web over HTTP/1.1 (what browsers speak) and JSON transcoding (curl) on the HTTP port.
        using GrpcChannel web = DeployedServices.Web(pod.Url("query-http"));
        var highest = new TopKHighestRequest { Layer = layer, Target = new Target { InputId = 0 }, Group = new NeuronGroup { TopOfTarget = 1 }, K = 5 };
        List<TopKUpdate> viaWeb = await DeployedServices.ReadAllAsync(new QueryService.QueryServiceClient(web).TopKHighest(highest, deadline: Deadline()));
        Assert.True(viaWeb[^1].Done);
        Assert.Equal(5, viaWeb[^1].Hits.Count);

        List<TopKUpdate> viaJson = await DeployedServices.PostJsonStreamAsync(pod.Url("query-http"), "/v1/layers:topKSimilar", similar);
        Assert.True(viaJson[^1].Done);
        Assert.Equal(Answers(exact), Answers(viaJson[^1]));

        // The IndexService's HTTP port answers JSON too.
        Assert.Contains(Layer, await DeployedServices.GetAsync(pod.Url("index-http"), "/v1/indexes"));

        // Four queries ran on this QueryService; /metrics counts each once, whatever the protocol.
        string metrics = await DeployedServices.GetAsync(pod.Url("query-http"), "/metrics");
        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("deepeverest_", StringComparison.Ordinal))));
        Assert.Equal(4, DeployedServices.SumSamples(metrics, "deepeverest_query_duration_seconds_count"));
        string indexMetrics = await DeployedServices.GetAsync(pod.Url("index-http"), "/metrics");
        Assert.Equal(1, DeployedServices.SumSamples(indexMetrics, "deepeverest_build_duration_seconds_count"));

        // SIGTERM while a query streams: the stream finishes or ends with a clean status, and both
        // containers still exit 0 within their grace.
        TopKSimilarRequest slow = similar.Clone();
        slow.Options = new QueryOptions { Strategy = Strategy.ReprocessAll, BatchSize = 8, NoCache = true };
        using AsyncServerStreamingCall<TopKUpdate> running = query.TopKSimilar(slow, deadline: Deadline());
        Assert.True(await running.ResponseStream.MoveNext(CancellationToken.None));
        Task<StatusCode> outcome = DrainAsync(running);
        await StopCleanlyAsync(pod);
        StatusCode ended = await outcome;
        output.WriteLine($"query streaming at SIGTERM ended with {ended}");
        Assert.Contains(ended, new[] { StatusCode.OK, StatusCode.Cancelled, StatusCode.Unavailable });
    }

    /// <summary>Reads a stream to its end; returns OK when it completed, else the status it failed with.</summary>
    private static async Task<StatusCode> DrainAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }

            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    [Fact]
    public async Task SharedVolume_QueryReplicasFollowTheWriter_EachFromItsOwnScratch()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("shared-volume-values.yaml");
        Workload writer = chart.WorkloadOf(IndexContainer);
        Workload readers = chart.WorkloadOf(QueryContainer);
        Assert.NotEqual(writer, readers);
        Dictionary<string, string> claims = await PrepareDataAsync(chart, writer);

        // Replicas start before anything is imported: they must pick up what the writer publishes later.
        PodmanPod index = await StartAsync("writer", writer, claims);
        var replicas = new List<PodmanPod>();
        for (int i = 0; i < readers.Replicas; i++)
        {
            replicas.Add(await StartAsync($"reader{i}", readers, claims));
        }

        await WaitReadyAsync(index);
        foreach (PodmanPod replica in replicas)
        {
            await WaitReadyAsync(replica);
        }

        LayerRef layer = await ImportAndBuildAsync(index);
        var request = new TopKSimilarRequest { Layer = layer, Target = new Target { InputId = 7 }, Group = new NeuronGroup { TopOfTarget = 4 }, K = 8 };
        var answers = new List<string>();
        foreach (PodmanPod replica in replicas)
        {
            using GrpcChannel channel = DeployedServices.Native(replica.Url("query-grpc"));
            TopKUpdate last = (await DeployedServices.ReadAllAsync(new QueryService.QueryServiceClient(channel).TopKSimilar(request, deadline: Deadline())))[^1];
            Assert.True(last.Done);
            answers.Add(Answers(last));

            // Its RocksDB secondary lives in its own scratch emptyDir, never in the shared volume.
            string scratch = Path.Combine(_root, "scratch", replica.Name, "query-scratch");
            Assert.NotEmpty(Directory.GetFileSystemEntries(scratch));
        }

        Assert.Single(answers.Distinct());
        foreach (PodmanPod pod in replicas.Append(index))
        {
            await StopCleanlyAsync(pod);
        }
    }

    [Fact]
    public async Task Tls_ProbesAndCallsOverHttpsWithTheMountedCertificate()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("tls-values.yaml");
        Workload workload = Assert.Single(chart.Workloads);
        Dictionary<string, string> claims = await PrepareDataAsync(chart, workload);
        using X509Certificate2 certificate = TestCertificate.Create("localhost");
        string apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, byte[]>>
        {
            ["deepeverest-tls"] = new Dictionary<string, byte[]>
            {
                ["tls.crt"] = Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()),
                ["tls.key"] = Encoding.ASCII.GetBytes(certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem()),
            },
            ["deepeverest-api-keys"] = new Dictionary<string, byte[]> { ["keys.txt"] = Encoding.ASCII.GetBytes($"admin {apiKey} image-tests\n") },
        };
        PodmanPod pod = await StartAsync("tls", workload, claims, secrets);
        await WaitReadyAsync(pod, certificate);

        var key = new Metadata { { "authorization", $"Bearer {apiKey}" } };
        using GrpcChannel index = DeployedServices.Native(pod.Url("index-grpc", "https"), certificate);
        await new IndexService.IndexServiceClient(index).ListModelsAsync(new ListModelsRequest(), key, Deadline());
        using GrpcChannel query = DeployedServices.Native(pod.Url("query-grpc", "https"), certificate);
        var health = await new Grpc.Health.V1.Health.HealthClient(query).CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "deepeverest.v1.QueryService" });
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        // The console learns the IndexService's public URL from the chart's console.indexServiceUrl.
        string config = await DeployedServices.GetAsync(pod.Url("query-http", "https"), "/console-config.json", certificate);
        Assert.Contains("https://deepeverest-index.example.org:8081", config);

        await StopCleanlyAsync(pod);
    }

    internal static DateTime Deadline() => DateTime.UtcNow.AddMinutes(5);

    internal static string Answers(TopKUpdate update) =>
        string.Join(";", update.Hits.Select(h => $"{h.InputId}:{h.Score:R}"));

    /// <summary>
    /// The data volume: the Fashion-MNIST test set and the demo model copied in (as an operator would
    /// with kubectl cp), owned by the pods' user and fsGroup.
    /// </summary>
    private async Task<Dictionary<string, string>> PrepareDataAsync(RenderedChart chart, Workload owner)
    {
        Assert.True(File.Exists(Path.Combine(FashionMnist, "t10k-images-idx3-ubyte.gz")), $"{FashionMnist} is missing: run tools/setup.sh");
        foreach (string image in chart.Workloads.SelectMany(w => w.Pod.Containers).Select(c => c.Image).Distinct())
        {
            Assert.True(await Podman.ImageExistsAsync(image), $"image {image} is missing: run `make images` first");
        }

        V1PersistentVolumeClaim claim = Assert.Single(chart.All<V1PersistentVolumeClaim>());
        string data = Path.Combine(_root, "claims", claim.Metadata.Name);
        string imports = Path.Combine(data, "imports");
        Directory.CreateDirectory(imports);
        foreach (string file in new[] { "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
        {
            File.Copy(Path.Combine(FashionMnist, file), Path.Combine(imports, file));
        }

        File.Copy(Path.Combine(RepoPaths.Root, "models", "demo", "fashion_vgg.onnx"), Path.Combine(imports, "fashion_vgg.onnx"));
        PodmanPod.Own(data, owner);
        return new Dictionary<string, string> { [claim.Metadata.Name] = data };
    }

    private async Task<PodmanPod> StartAsync(
        string name,
        Workload workload,
        Dictionary<string, string> claims,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>>? secrets = null)
    {
        PodmanPod pod = await PodmanPod.StartAsync($"{_podPrefix}-{name}", workload, claims, Path.Combine(_root, "scratch"), secrets);
        _pods.Add(pod);
        return pod;
    }

    /// <summary>
    /// Waits as the startup probe would, for period x threshold: gRPC health of the service's name,
    /// or GET over HTTPS (trusting <paramref name="certificate"/>).
    /// </summary>
    internal static async Task WaitReadyAsync(PodmanPod pod, X509Certificate2? certificate = null)
    {
        foreach (V1Container container in pod.Workload.Pod.Containers)
        {
            V1Probe startup = container.StartupProbe;
            TimeSpan budget = TimeSpan.FromSeconds((startup.PeriodSeconds ?? 10) * (startup.FailureThreshold ?? 3));
            if (startup.Grpc is { } grpc)
            {
                V1ContainerPort port = container.Ports.Single(p => p.ContainerPort == grpc.Port);
                await DeployedServices.WaitServingAsync(pod.Url(port.Name), grpc.Service, budget, () => pod.LogsAsync(container.Name));
            }
            else
            {
                V1HTTPGetAction get = startup.HttpGet;
                V1ContainerPort port = container.Ports.Single(p => p.ContainerPort.ToString(CultureInfo.InvariantCulture) == get.Port.Value || p.Name == get.Port.Value);
                await DeployedServices.WaitHttpOkAsync(pod.Url(port.Name, get.Scheme.ToLowerInvariant()), get.Path, budget, certificate, () => pod.LogsAsync(container.Name));
            }
        }
    }

    /// <summary>Imports the Fashion-MNIST test set, registers the demo model and builds an index of <see cref="Layer"/>.</summary>
    internal static async Task<LayerRef> ImportAndBuildAsync(PodmanPod pod)
    {
        using GrpcChannel channel = DeployedServices.Native(pod.Url("index-grpc"));
        var index = new IndexService.IndexServiceClient(channel);
        DatasetInfo dataset = await index.ImportDatasetAsync(
            new ImportDatasetRequest
            {
                Name = "fashion-test",
                Parts = { new DatasetPart { InputsPath = "imports/t10k-images-idx3-ubyte.gz", LabelsPath = "imports/t10k-labels-idx1-ubyte.gz" } },
                Preprocessing = new Preprocessing { Scale = 1f / 255 },
                InputShape = { 1, 28, 28 },
            },
            deadline: Deadline());
        Assert.Equal(10_000, dataset.Count);
        await index.AddModelAsync(new AddModelRequest { Name = "fashion_vgg", Path = "imports/fashion_vgg.onnx" }, deadline: Deadline());
        ListLayersResponse layers = await index.ListLayersAsync(new ListLayersRequest { Model = "fashion_vgg" }, deadline: Deadline());
        Assert.Contains(layers.Layers, l => l.Name == Layer);

        var layer = new LayerRef { Model = "fashion_vgg", Dataset = "fashion-test", Layer = Layer };
        using AsyncServerStreamingCall<BuildProgress> build = index.BuildIndex(new BuildIndexRequest { Layer = layer }, deadline: Deadline());
        BuildProgress? last = null;
        await foreach (BuildProgress progress in build.ResponseStream.ReadAllAsync())
        {
            last = progress;
        }

        Assert.Equal(BuildPhase.Done, last?.Phase);
        return layer;
    }

    /// <summary>
    /// Stops every container of the pod at once, as the kubelet does after the preStop sleep: each
    /// must exit 0 on SIGTERM within what is left of terminationGracePeriodSeconds.
    /// </summary>
    private async Task StopCleanlyAsync(PodmanPod pod)
    {
        long grace = pod.Workload.Pod.TerminationGracePeriodSeconds ?? 30;
        var stops = pod.Workload.Pod.Containers.Select(async container =>
        {
            TimeSpan left = TimeSpan.FromSeconds(grace - container.Lifecycle.PreStop.Sleep.Seconds);
            (int code, TimeSpan elapsed) = await pod.StopAsync(container.Name, left);
            return (container.Name, code, elapsed, left);
        }).ToList();
        foreach ((string name, int code, TimeSpan elapsed, TimeSpan left) in await Task.WhenAll(stops))
        {
            string logs = await pod.LogsAsync(name);
            output.WriteLine($"{pod.Name}/{name}: exit {code} after {elapsed.TotalSeconds:F1}s of {left.TotalSeconds}s");
            Assert.True(code == 0, $"{pod.Name}/{name} exited {code} on SIGTERM:\n{logs}");
            Assert.True(elapsed < left, $"{pod.Name}/{name} took {elapsed} to stop, past its grace period");
            Assert.DoesNotContain("crit:", logs, StringComparison.Ordinal);
        }
    }
}
