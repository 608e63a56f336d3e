using DeepEverest.Contracts.V1;
using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Tests.Onnx;
using DeepEverest.Kernels;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.QueryService;

/// <summary>
/// Text end to end over gRPC (docs/text.md): the Moby Dick fixture imported through the
/// IndexService, ArcticXs registered, one MLP layer indexed, then TopKHighest and TopKSimilar
/// through the QueryService. The answers equal the engine's brute force (ids, order, scores) and
/// every hit, provisional ones included, carries its token's context as QueryEngine.TextItem reads it.
/// </summary>
public sealed class TextQueryServiceTests(TextQueryServiceTests.Corpus corpus, ITestOutputHelper log) : IClassFixture<TextQueryServiceTests.Corpus>
{
    private const string Model = "arctic";
    private const string Dataset = "moby";
    private const string Layer = "/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1_output_0";

    // Two chapters keep the index build and the brute-force passes to seconds on two cores.
    private static readonly string[] _chapters = ["chapter_1.txt", "chapter_5.txt"];

    private static readonly JsonParser _json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    [Fact]
    public async Task TopKHighestAndSimilar_TextDataset_BruteForceAnswersWithEveryHitsContext()
    {
        await using var query = new QueryServiceFactory(corpus.DataRoot);
        using GrpcChannel channel = query.CreateChannel();
        var client = new QueryClient(channel);
        using StoreReader store = StoreReader.OpenSecondary(corpus.DataRoot);
        using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        using var engine = new QueryEngine(store, kernels, new QueryEngineOptions());

        // "CHAPTER 1. Loomings. Call me Ishmael." is chapter 1 . looming ##s . call me ish ##mael .: item 7 is "me".
        var highest = new TopKHighestRequest { Layer = LayerRef(), Group = NeuronList(17, 1234), K = 12, Options = SmallBatches() };
        var similar = new TopKSimilarRequest { Layer = LayerRef(), Target = new Target { InputId = 7 }, Group = new NeuronGroup { TopOfTarget = 8 }, K = 12, IncludeTarget = true, Options = SmallBatches() };
        List<TopKUpdate> highestUpdates = await ReadAsync(client.TopKHighest(highest));
        List<TopKUpdate> similarUpdates = await ReadAsync(client.TopKSimilar(similar));

        TopKQuery bruteHighest = Query(QueryType.Highest, null, new GroupSpec.Explicit([[17], [1234]]), ScoreKind.Sum);
        TopKQuery bruteSimilar = Query(QueryType.Similar, new QueryTarget(7, null), new GroupSpec.TopOfTarget(8), ScoreKind.L2);
        foreach ((List<TopKUpdate> updates, TopKQuery brute) in new[] { (highestUpdates, bruteHighest), (similarUpdates, bruteSimilar) })
        {
            TopKUpdate last = updates[^1];
            Assert.True(last.Done);
            Assert.Equal(Strategy.Bounds, last.Stats.Strategy);
            TopKUpdateInfo expected = engine.Execute(brute, CancellationToken.None).Last();
            Assert.Equal(expected.Hits.Select(h => ((long)h.InputId, h.Score)), last.Hits.Select(h => (h.InputId, h.Score)));
            Assert.True(last.Stats.WindowsInferred > 0);
            foreach (Hit hit in updates.SelectMany(u => u.Hits))
            {
                AssertContext(engine.TextItem(Dataset, hit.InputId), hit.Text);
            }
        }

        Assert.Contains(highestUpdates.Concat(similarUpdates).SelectMany(u => u.Hits), h => !h.Final);
        Assert.Contains(highestUpdates.Concat(similarUpdates).SelectMany(u => u.Hits), h => h.Text.CutBefore || h.Text.CutAfter);
        Assert.Equal("me", similarUpdates[^1].Hits.Single(h => h.InputId == 7).Text.Token);
        Assert.Empty(query.Logs.Errors);
    }

    [Fact]
    public async Task GetInput_TokenItem_TheWholeWindowAsTextItemOverGrpcAndJson()
    {
        await using var query = new QueryServiceFactory(corpus.DataRoot);
        using GrpcChannel channel = query.CreateChannel();
        var client = new QueryClient(channel);
        using StoreReader store = StoreReader.OpenSecondary(corpus.DataRoot);
        using IKernels kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        using var engine = new QueryEngine(store, kernels, new QueryEngineOptions());

        GetInputResponse input = await client.GetInputAsync(new GetInputRequest { Dataset = Dataset, InputId = 7 }).ResponseAsync.DefaultTimeout();
        using HttpClient http = query.CreateClient();
        GetInputResponse json = _json.Parse<GetInputResponse>(await http.GetStringAsync($"/v1/datasets/{Dataset}/inputs/7").DefaultTimeout());
        RpcException outside = await Assert.ThrowsAsync<RpcException>(() => client.GetInputAsync(new GetInputRequest { Dataset = Dataset, InputId = 1 << 20 }).ResponseAsync.DefaultTimeout());

        TextItemInfo item = engine.TextItem(Dataset, 7);
        Assert.Null(input.Tensor);
        Assert.Equal(-1, input.Label);
        Assert.Equal(item.WindowText, input.Text.Text);
        Assert.False(input.Text.CutBefore || input.Text.CutAfter);
        AssertContext(item, input.Text);
        Assert.Equal("me", input.Text.Text[input.Text.TokenStart..input.Text.TokenEnd]);
        Assert.Equal(input, json);
        Assert.Equal(StatusCode.NotFound, outside.StatusCode);
    }

    [Fact]
    public async Task Cli_QueryHighestAndInputOverText_EachHitAsItsContextWithTheTokenMarked()
    {
        await using var query = new QueryServiceFactory(corpus.DataRoot);
        query.UseKestrel();
        query.StartServer();
        string[] services = ["--index-service", corpus.IndexAddress, "--query-service", query.Endpoints.GrpcAddress!];
        string[] highest = [.. services, "query", "highest", "--model", Model, "--dataset", Dataset, "--layer", Layer, "--group", "neurons:17,1234", "--k", "5"];

        (int code, string output, string error) = await CliAsync(highest);
        (int jsonCode, string json, _) = await CliAsync([.. services, "--json", .. highest[services.Length..]]);
        (int inputCode, string input, _) = await CliAsync([.. services, "query", "input", "--dataset", Dataset, "--id", "7"]);
        (int textCode, string activations, string textError) = await CliAsync(
            [.. services, "--json", "query", "activations", "--model", Model, "--dataset", Dataset, "--layer", Layer, "--target-text", "Call me Ishmael.", "--target-token", "1", "--top", "3"]);
        using GrpcChannel channel = GrpcChannel.ForAddress(query.Endpoints.GrpcAddress!);
        GetActivationsResponse direct = await new QueryClient(channel).GetActivationsAsync(new GetActivationsRequest
        {
            Layer = LayerRef(),
            Target = new Target { Text = new TextTarget { Text = "Call me Ishmael.", Token = 1 } },
            TopM = 3,
        }).ResponseAsync.DefaultTimeout();

        log.WriteLine(output);
        log.WriteLine(input);
        Assert.True(code == 0, error);
        TopKUpdate last = JsonParser.Default.Parse<TopKUpdate>(json.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(0, jsonCode);
        Assert.True(last.Done);
        Assert.Equal(5, last.Hits.Count);
        Assert.All(last.Hits, h => Assert.False(string.IsNullOrEmpty(h.Text?.Text)));
        foreach (Hit hit in last.Hits)
        {
            // The table shows each hit's token in brackets, in its context (wrapped cells aside).
            string token = hit.Text.Text[hit.Text.TokenStart..hit.Text.TokenEnd];
            Assert.Contains($"[{token}]", output, StringComparison.Ordinal);
            Assert.Contains(hit.Score.ToString("G7", System.Globalization.CultureInfo.InvariantCulture), output, StringComparison.Ordinal);
        }

        // query activations --target-text sends the raw-text target the service tokenizes and runs.
        Assert.True(textCode == 0, textError);
        Assert.Equal(direct, JsonParser.Default.Parse<GetActivationsResponse>(activations.Trim()));
        Assert.Equal(0, inputCode);
        Assert.StartsWith("item 7 of moby: chapter_1.txt, window 0, token 7 'me'", input, StringComparison.Ordinal);
        Assert.Contains("Loomings. Call [me] Ishmael.", input, StringComparison.Ordinal);
    }

    /// <summary>
    /// A context equals the engine's item: the same document, window, position and token, and a
    /// text that is the window's own characters where it says, holding the token where it says.
    /// </summary>
    private static void AssertContext(TextItemInfo item, TextContext context)
    {
        Assert.NotNull(context);
        Assert.Equal((item.Document, item.DocumentName, item.Window, item.Position, item.Token), (context.Document, context.DocumentName, context.Window, context.Position, context.Token));
        int offset = context.TextStart - item.WindowTextStart;
        Assert.InRange(offset, 0, item.WindowText.Length - context.Text.Length);
        Assert.Equal(item.WindowText.Substring(offset, context.Text.Length), context.Text);
        Assert.Equal((item.CharStart, item.CharEnd), (context.TextStart + context.TokenStart, context.TextStart + context.TokenEnd));
        Assert.Equal(offset > 0, context.CutBefore);
        Assert.Equal(offset + context.Text.Length < item.WindowText.Length, context.CutAfter);
        Assert.True(context.TokenStart <= TextItemInfo.HitContextChars && context.Text.Length - context.TokenEnd <= TextItemInfo.HitContextChars || !context.CutBefore && !context.CutAfter);
    }

    private static async Task<(int Code, string Output, string Error)> CliAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await global::DeepEverest.Cli.Program.RunAsync(args, global::DeepEverest.Cli.CliConsole.ForWriters(output, error), CancellationToken.None).DefaultTimeout();
        return (code, output.ToString(), error.ToString());
    }

    private static TopKQuery Query(QueryType type, QueryTarget? target, GroupSpec group, ScoreKind score) =>
        new(Model, Dataset, Layer, type, target, group, 12, score, [], IncludeTarget: true, QueryFilter.None, QueryStrategy.ReprocessAll, 0, UseCache: false, FixedBatches: false);

    private static LayerRef LayerRef() => new() { Model = Model, Dataset = Dataset, Layer = Layer };

    private static NeuronGroup NeuronList(params long[] neurons) => new() { Neurons = new Contracts.V1.NeuronList { Neurons = { neurons.Select(n => new Neuron { Flat = n }) } } };

    /// <summary>Every update sent, in batches of a few inputs: provisional hits show up before the answer.</summary>
    private static QueryOptions SmallBatches() => new() { BatchSize = 4, FixedBatches = true, MinUpdateIntervalMs = 0, NoCache = true };

    private static async Task<List<TopKUpdate>> ReadAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            var updates = new List<TopKUpdate>();
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                updates.Add(update);
            }

            return updates;
        }
    }

    /// <summary>The data root of the tests: the chapters imported, the model registered, the layer indexed (through the IndexService).</summary>
    public sealed class Corpus : IAsyncLifetime
    {
        private IndexServiceFactory _index = null!;
        private GrpcChannel _indexChannel = null!;

        public string DataRoot { get; } = TestData.CreateTempDirectory();

        public string IndexAddress { get; private set; } = "";

        public async Task InitializeAsync()
        {
            string fixture = Path.Combine(TestData.RepoRoot, "tests", "fixtures", "text", "moby-dick");
            Directory.CreateDirectory(Path.Combine(DataRoot, "moby"));
            foreach (string chapter in _chapters)
            {
                File.Copy(Path.Combine(fixture, chapter), Path.Combine(DataRoot, "moby", chapter));
            }

            string model = TextModels.ModelPath(TextModels.ArcticXs);
            File.Copy(model, Path.Combine(DataRoot, "arctic.onnx"));
            File.Copy(Path.Combine(Path.GetDirectoryName(model)!, "vocab.txt"), Path.Combine(DataRoot, "vocab.txt"));
            // On loopback, so that the command line can reach it too.
            _index = new IndexServiceFactory(DataRoot);
            _index.UseKestrel();
            _index.StartServer();
            IndexAddress = _index.Endpoints.GrpcAddress!;
            _indexChannel = GrpcChannel.ForAddress(IndexAddress);

            var index = new IndexClient(_indexChannel);
            await index.AddModelAsync(new AddModelRequest { Name = Model, Path = "arctic.onnx" }).ResponseAsync.DefaultTimeout();
            var import = new ImportDatasetRequest
            {
                Name = Dataset,
                Text = new TextSource { Paths = { _chapters.Select(c => "moby/" + c) }, Tokenizer = "bert-wordpiece", VocabPath = "vocab.txt", WindowTokens = 64 },
            };
            await index.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
            List<BuildProgress> built = await index.BuildAsync(new BuildIndexRequest { Layer = LayerRef() }, TaskTimeoutExtensions.LongTimeout);
            Assert.Equal(BuildPhase.Done, built[^1].Phase);
            Assert.Empty(_index.Logs.Errors);
        }

        public async Task DisposeAsync()
        {
            _indexChannel.Dispose();
            await _index.DisposeAsync();
            TestData.DeleteDirectory(DataRoot);
        }
    }
}
