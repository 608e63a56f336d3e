using DeepEverest.Contracts.V1;
using DeepEverest.Core.Tests.Datasets;
using DeepEverest.Services.Tests.Infrastructure;
using DeepEverest.Services.Tests.QueryService;
using Grpc.Core;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;
using QueryClient = DeepEverest.Contracts.V1.QueryService.QueryServiceClient;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// A folder of PNG and JPEG files imported through ImportDatasetWithProgress (class folders as
/// labels and label names), indexed through BuildIndex and queried through the QueryService: the
/// index's answer equals ReprocessAll's. A corrupt file fails its import naming it, storing nothing.
/// </summary>
public sealed class ImageFolderWorkflowTests : IAsyncLifetime
{
    private const int PerClass = 12;
    private static readonly string[] _classes = ["boot", "coat", "shirt"];
    private readonly string _dataRoot = TestData.CreateTempDirectory();
    private IndexServiceFactory _index = null!;
    private GrpcChannel _indexChannel = null!;

    public Task InitializeAsync()
    {
        TestData.CopyModel(_dataRoot);
        var random = new Random(24);
        foreach (string name in _classes)
        {
            for (int i = 0; i < PerClass; i++)
            {
                // 36 x 36 colour images: resized to 28 x 28 and turned grey by the input shape.
                byte[] noise = new byte[36 * 36 * 3];
                random.NextBytes(noise);
                int shade = Array.IndexOf(_classes, name) * 80;
                (byte, byte, byte) Pixel(int x, int y) => ((byte)((shade + noise[3 * ((y * 36) + x)]) / 2), (byte)(x * 7), noise[(3 * ((y * 36) + x)) + 2]);
                byte[] file = i % 3 == 0 ? TestImages.Jpeg(36, 36, Pixel) : TestImages.Png(36, 36, Pixel);
                Write($"clothes/{name}/{i:D2}.{(i % 3 == 0 ? "jpg" : "png")}", file);
            }
        }

        _index = new IndexServiceFactory(_dataRoot);
        _indexChannel = _index.CreateChannel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _indexChannel.Dispose();
        await _index.DisposeAsync();
        TestData.DeleteDirectory(_dataRoot);
    }

    [Fact]
    public async Task ImportDatasetWithProgress_ImageFolder_IndexedAndQueriedExactlyAsReprocessAll()
    {
        var index = new IndexClient(_indexChannel);
        await index.AddModelAsync(new AddModelRequest { Name = "vgg", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
        var request = new ImportDatasetRequest { Name = "clothes", ImageFolder = "clothes", InputShape = { 1, 28, 28 }, Preprocessing = new Preprocessing { Scale = 1f / 255 } };

        List<ImportProgress> messages = [];
        using (AsyncServerStreamingCall<ImportProgress> call = index.ImportDatasetWithProgress(request))
        {
            await foreach (ImportProgress message in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                messages.Add(message);
            }
        }

        DatasetInfo dataset = messages[^1].Dataset;
        Assert.Equal(_classes.Length * PerClass, dataset.Count);
        Assert.Equal([1L, 28, 28], dataset.InputShape);
        Assert.Equal(ElementType.Uint8, dataset.ElementType);
        Assert.Equal([0, 1, 2], dataset.Labels);
        Assert.Equal(_classes, Enumerable.Range(0, 3).Select(l => dataset.LabelNames[l]));
        Assert.All(messages, m => Assert.Equal(_classes.Length, m.PartsTotal));
        Assert.Contains(messages.SkipLast(1), m => m.Message.StartsWith("reading class", StringComparison.Ordinal));

        var layer = new LayerRef { Model = "vgg", Dataset = "clothes", Layer = TestData.SmallLayer };
        List<BuildProgress> built = await index.BuildAsync(new BuildIndexRequest { Layer = layer });
        Assert.Equal(BuildPhase.Done, built[^1].Phase);

        await using var query = new QueryServiceFactory(_dataRoot);
        using GrpcChannel queryChannel = query.CreateChannel();
        var client = new QueryClient(queryChannel);
        foreach (long target in new long[] { 0, 17, 35 })
        {
            var similar = new TopKSimilarRequest { Layer = layer, Target = new Target { InputId = target }, Group = new NeuronGroup { TopOfTarget = 4 }, K = 8 };
            TopKUpdate bounds = await FinalAsync(client.TopKSimilar(similar)).DefaultTimeout();
            similar.Options = new QueryOptions { Strategy = Strategy.ReprocessAll };
            TopKUpdate brute = await FinalAsync(client.TopKSimilar(similar)).DefaultTimeout();

            Assert.Equal(Strategy.Bounds, bounds.Stats.Strategy);
            Assert.Equal(8, bounds.Hits.Count);
            Assert.Equal(brute.Hits.Select(h => (h.InputId, h.Score)), bounds.Hits.Select(h => (h.InputId, h.Score)));
        }

        Assert.Empty(_index.Logs.Errors);
        Assert.Empty(query.Logs.Errors);
    }

    [Fact]
    public async Task ImportDataset_ImageFolderWithACorruptFile_InvalidArgumentNamingItAndNothingStored()
    {
        var index = new IndexClient(_indexChannel);
        Write("broken/a/good.png", TestImages.SolidPng(28, 28, 5, 5, 5));
        Write("broken/b/bad.jpg", "\xff\xd8\xff\xe0 but no JPEG after"u8.ToArray());
        var request = new ImportDatasetRequest { Name = "broken", ImageFolder = "broken", InputShape = { 1, 28, 28 } };

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => index.ImportDatasetAsync(request).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("image_folder 'broken/b/bad.jpg'", refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(_dataRoot, refused.Status.Detail, StringComparison.Ordinal);
        ListDatasetsResponse listed = await index.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync.DefaultTimeout();
        Assert.DoesNotContain(listed.Datasets, d => d.Name == "broken");
    }

    [Fact]
    public async Task ImportDataset_ImageFolderWithALinkOutOfTheDataRoot_InvalidArgumentAndNothingStored()
    {
        var index = new IndexClient(_indexChannel);
        string outside = TestData.CreateTempDirectory();
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(outside, "secret.png"), TestImages.SolidPng(28, 28, 9, 9, 9));
            Write("leaky/a/good.png", TestImages.SolidPng(28, 28, 5, 5, 5));
            File.CreateSymbolicLink(Path.Combine(_dataRoot, "leaky", "a", "secret.png"), Path.Combine(outside, "secret.png"));
            var request = new ImportDatasetRequest { Name = "leaky", ImageFolder = "leaky", InputShape = { 1, 28, 28 } };

            RpcException refused = await Assert.ThrowsAsync<RpcException>(() => index.ImportDatasetAsync(request).ResponseAsync.DefaultTimeout());

            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Equal("image_folder: 'leaky/a/secret.png' leads outside the data root; copy the file under the data root (symbolic links must stay inside it).", refused.Status.Detail);
            ListDatasetsResponse listed = await index.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync.DefaultTimeout();
            Assert.DoesNotContain(listed.Datasets, d => d.Name == "leaky");
        }
        finally
        {
            TestData.DeleteDirectory(outside);
        }
    }

    private static async Task<TopKUpdate> FinalAsync(AsyncServerStreamingCall<TopKUpdate> call)
    {
        using (call)
        {
            TopKUpdate? last = null;
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync().WithCancellation(CancellationToken.None))
            {
                last = update;
            }

            return last!;
        }
    }

    private void Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(_dataRoot, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}
