using System.Globalization;
using System.Security.Cryptography;
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
/// The <c>sharded</c> topology of ci/sharded-values.yaml run from the images under podman as the
/// rendered chart describes it: three shard pods (each on a folder of its own, the source folder
/// shared read-only), the shard Job's three tasks (the CLI image's script, JOB_COMPLETION_INDEX as
/// the Job controller sets it) importing and indexing shard i on pod i, then the router over them,
/// reaching each shard by its stable name (mapped to its pod's address, as the headless Service's
/// DNS would). Its answers must equal a single node's over the whole dataset: ids, order, scores.
/// </summary>
[Trait("Category", "Images")]
[Collection(nameof(ImageTests))]
public sealed class ShardedImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";
    private const string Layer = "/block3/block3.2/Relu_output_0";
    private static readonly string[] _sourceFiles = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    private readonly string _root = Directory.CreateTempSubdirectory("deepeverest-sharded-").FullName;
    private readonly List<PodmanPod> _pods = [];
    private readonly string _podPrefix = $"de-sharded-{Guid.NewGuid():N}"[..20];

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
    public async Task Sharded_JobLoadsEachShardRouterAnswersAsASingleNode()
    {
        RenderedChart chart = await RenderedChart.RenderAsync("sharded-values.yaml");
        Workload shardSet = chart.WorkloadOf("index-service");
        Workload router = chart.WorkloadOf("router");
        V1Job job = Assert.Single(chart.All<V1Job>());
        var task = new Workload("Job", job.Metadata.Name, 1, new V1LabelSelector(), job.Spec.Template, []);
        V1StatefulSet set = chart.Single<V1StatefulSet>(shardSet.Name);
        int shards = set.Spec.Replicas ?? 1;
        Assert.Equal(3, shards);
        foreach (string image in new[] { shardSet, router, task }.SelectMany(w => w.Pod.Containers).Select(c => c.Image).Distinct())
        {
            Assert.True(await Podman.ImageExistsAsync(image), $"image {image} is missing: run `make images` first");
        }

        // The source claim every shard mounts read-only: the test set and the model (as an operator
        // would put them there), and the Secret of the router's and the Job's keys.
        string source = Folder("claims", "deepeverest-datasets");
        CopySource(source);
        PodmanPod.Own(source, shardSet);
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, byte[]>>
        {
            ["deepeverest-shard-keys"] = new Dictionary<string, byte[]> { ["router-key"] = NewKey(), ["job-key"] = NewKey() },
        };

        // The shard pods, each on its own claim, and their stable names.
        var hosts = new Dictionary<string, string>();
        var shardPods = new List<PodmanPod>();
        for (int i = 0; i < shards; i++)
        {
            string data = Folder("claims", $"data-{set.Metadata.Name}-{i}");
            PodmanPod.Own(data, shardSet);
            var claims = new Dictionary<string, string> { ["data"] = data, ["deepeverest-datasets"] = source };
            PodmanPod pod = await StartAsync($"shard{i}", shardSet, claims, secrets);
            shardPods.Add(pod);
            hosts[$"{set.Metadata.Name}-{i}.{set.Spec.ServiceName}"] = await pod.AddressAsync();
        }

        foreach (PodmanPod pod in shardPods)
        {
            await ImageTests.WaitReadyAsync(pod);
        }

        // The Job's tasks, one per completion index, all at once (parallelism = completions).
        var tasks = new List<PodmanPod>();
        for (int i = 0; i < shards; i++)
        {
            tasks.Add(await StartAsync($"job{i}", task, new Dictionary<string, string>(), secrets, hosts, new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = i.ToString(CultureInfo.InvariantCulture) }));
        }

        foreach (PodmanPod pod in tasks)
        {
            int code = await pod.WaitExitAsync("shard-job", TimeSpan.FromMinutes(20));
            string logs = await pod.LogsAsync("shard-job");
            output.WriteLine($"{pod.Name}: exit {code}\n{logs}");
            Assert.True(code == 0, $"{pod.Name} failed:\n{logs}");
        }

        // A task run again (the Job retries an index with the same index) finds every step done.
        PodmanPod retry = await StartAsync("job0-retry", task, new Dictionary<string, string>(), secrets, hosts, new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "0" });
        Assert.Equal(0, await retry.WaitExitAsync("shard-job", TimeSpan.FromMinutes(5)));
        string again = await retry.LogsAsync("shard-job");
        Assert.Contains("model fashion_vgg is registered", again, StringComparison.Ordinal);
        Assert.Contains("dataset fashion-test is imported", again, StringComparison.Ordinal);
        Assert.Contains($"layer {Layer} is indexed", again, StringComparison.Ordinal);
        Assert.DoesNotContain("importing", again, StringComparison.Ordinal);

        // Each shard holds its near-equal range of the 10,000 inputs, and takes no call without a key.
        var jobKey = new Metadata { { "authorization", $"Bearer {Encoding.ASCII.GetString(secrets["deepeverest-shard-keys"]["job-key"])}" } };
        for (int i = 0; i < shards; i++)
        {
            using GrpcChannel channel = DeployedServices.Native(shardPods[i].Url("index-grpc"));
            var index = new IndexService.IndexServiceClient(channel);
            DatasetInfo dataset = Assert.Single((await index.ListDatasetsAsync(new ListDatasetsRequest(), jobKey, ImageTests.Deadline())).Datasets);
            Assert.Equal(i * 10_000L / shards, dataset.InputRange.Start);
            Assert.Equal((i + 1) * 10_000L / shards, dataset.InputRange.End);
            Assert.Equal(10_000, dataset.TotalCount);
            RpcException refused = await Assert.ThrowsAsync<RpcException>(async () => await index.ListDatasetsAsync(new ListDatasetsRequest(), deadline: ImageTests.Deadline()));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        PodmanPod routerPod = await StartAsync("router", router, new Dictionary<string, string>(), secrets, hosts);
        await ImageTests.WaitReadyAsync(routerPod);

        // The single node: the same files, the same model and layer, in one store.
        Workload single = Assert.Single((await RenderedChart.RenderAsync("default-values.yaml")).Workloads);
        string whole = Folder("claims", "single");
        CopySource(Path.Combine(whole, "imports"));
        PodmanPod.Own(whole, single);
        PodmanPod singlePod = await StartAsync("single", single, new Dictionary<string, string> { [$"{Helm.Release}-deepeverest-data"] = whole });
        await ImageTests.WaitReadyAsync(singlePod);
        LayerRef layer = await ImageTests.ImportAndBuildAsync(singlePod);

        using GrpcChannel viaRouter = DeployedServices.Native(routerPod.Url("query-grpc"));
        using GrpcChannel viaSingle = DeployedServices.Native(singlePod.Url("query-grpc"));
        var routed = new QueryService.QueryServiceClient(viaRouter);
        var reference = new QueryService.QueryServiceClient(viaSingle);
        foreach ((string name, Func<QueryService.QueryServiceClient, AsyncServerStreamingCall<TopKUpdate>> call) in Queries(layer))
        {
            TopKUpdate expected = (await DeployedServices.ReadAllAsync(call(reference)))[^1];
            TopKUpdate actual = (await DeployedServices.ReadAllAsync(call(routed)))[^1];
            output.WriteLine($"{name}: single {ImageTests.Answers(expected)}\n{name}: router {ImageTests.Answers(actual)} (inferred {actual.Stats.InputsInferred} vs {expected.Stats.InputsInferred})");
            Assert.True(expected.Done && actual.Done, name);
            Assert.NotEmpty(actual.Hits);
            Assert.Equal(ImageTests.Answers(expected), ImageTests.Answers(actual));
            Assert.All(actual.Hits, h => Assert.True(h.Final, name));
            Assert.Equal(shards, actual.Stats.ShardsTotal);
            Assert.Equal(shards, actual.Stats.ShardsDone);
        }

        foreach (PodmanPod pod in shardPods.Append(routerPod))
        {
            await StopCleanlyAsync(pod);
        }
    }

    /// <summary>Similar and highest queries over targets on every shard, by id and by explicit neurons.</summary>
    private static IEnumerable<(string Name, Func<QueryService.QueryServiceClient, AsyncServerStreamingCall<TopKUpdate>> Call)> Queries(LayerRef layer)
    {
        foreach (long target in new long[] { 0, 4_242, 9_999 })
        {
            var similar = new TopKSimilarRequest { Layer = layer, Target = new Target { InputId = target }, Group = new NeuronGroup { TopOfTarget = 3 }, K = 10 };
            yield return ($"similar {target} top:3 k=10", c => c.TopKSimilar(similar, deadline: ImageTests.Deadline()));
        }

        var highest = new TopKHighestRequest { Layer = layer, Target = new Target { InputId = 7_000 }, Group = new NeuronGroup { TopOfTarget = 1 }, K = 10 };
        yield return ("highest 7000 top:1 k=10", c => c.TopKHighest(highest, deadline: ImageTests.Deadline()));
        var explicitGroup = new TopKHighestRequest { Layer = layer, Group = new NeuronGroup { Neurons = new NeuronList { Neurons = { new Neuron { Flat = 5 }, new Neuron { Flat = 300 }, new Neuron { Flat = 1_000 } } } }, K = 20 };
        yield return ("highest neurons 5,300,1000 k=20", c => c.TopKHighest(explicitGroup, deadline: ImageTests.Deadline()));
    }

    private static byte[] NewKey() => Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));

    private static void CopySource(string folder)
    {
        Assert.True(File.Exists(Path.Combine(FashionMnist, _sourceFiles[0])), $"{FashionMnist} is missing: run tools/setup.sh");
        Directory.CreateDirectory(folder);
        foreach (string file in _sourceFiles)
        {
            File.Copy(Path.Combine(FashionMnist, file), Path.Combine(folder, file));
        }

        File.Copy(Path.Combine(RepoPaths.Root, "models", "demo", "fashion_vgg.onnx"), Path.Combine(folder, "fashion_vgg.onnx"));
    }

    private string Folder(params string[] parts)
    {
        string path = Path.Combine([_root, .. parts]);
        Directory.CreateDirectory(path);
        return path;
    }

    private async Task<PodmanPod> StartAsync(
        string name,
        Workload workload,
        Dictionary<string, string> claims,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>>? secrets = null,
        IReadOnlyDictionary<string, string>? hosts = null,
        IReadOnlyDictionary<string, string>? extraEnv = null)
    {
        PodmanPod pod = await PodmanPod.StartAsync($"{_podPrefix}-{name}", workload, claims, Path.Combine(_root, "scratch"), secrets, hosts, extraEnv);
        _pods.Add(pod);
        return pod;
    }

    /// <summary>SIGTERM to every container of the pod, as the kubelet sends it: each exits 0 within its grace.</summary>
    private async Task StopCleanlyAsync(PodmanPod pod)
    {
        long grace = pod.Workload.Pod.TerminationGracePeriodSeconds ?? 30;
        foreach (V1Container container in pod.Workload.Pod.Containers)
        {
            TimeSpan left = TimeSpan.FromSeconds(grace - container.Lifecycle.PreStop.Sleep.Seconds);
            (int code, TimeSpan elapsed) = await pod.StopAsync(container.Name, left);
            output.WriteLine($"{pod.Name}/{container.Name}: exit {code} after {elapsed.TotalSeconds:F1}s of {left.TotalSeconds}s");
            Assert.True(code == 0, $"{pod.Name}/{container.Name} exited {code} on SIGTERM:\n{await pod.LogsAsync(container.Name)}");
            Assert.True(elapsed < left, $"{pod.Name}/{container.Name} took {elapsed} to stop, past its grace period");
        }
    }
}
