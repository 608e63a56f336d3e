using DeepEverest.Contracts.V1;
using DeepEverest.Core.Storage;
using DeepEverest.IndexService;
using DeepEverest.Services.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// The hostile corpus (<see cref="HostileCorpus"/>, issue 13): every request gets the expected
/// status and a message with the expected fragment and no host path, nothing in the store changes
/// (listings, model files, staged uploads, pending imports, input rows), no error is logged, and
/// the service keeps serving.
/// </summary>
[Collection(IndexServiceCollection.Name)]
public sealed class HostileRequestTests(IndexServiceFixture fixture)
{
    public static TheoryData<string> CaseNames => [.. HostileCorpus.Cases.Keys];

    [Fact]
    public void Corpus_HasAtLeastFiftyRequests()
    {
        Assert.True(HostileCorpus.Cases.Count >= 50, $"{HostileCorpus.Cases.Count} cases");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task IndexService_HostileRequest_RefusedCleanlyAndNothingChanges(string name)
    {
        HostileCase hostile = HostileCorpus.Cases[name];
        var context = new HostileContext(fixture.Client, fixture.DataRoot);
        string before = await SnapshotAsync();

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => hostile.Act(context)).DefaultTimeout();

        Assert.Equal(hostile.Code, error.StatusCode);
        Assert.Contains(hostile.Fragment, error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.DataRoot, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Empty(fixture.Factory.Logs.Errors);
    }

    [Fact]
    public async Task AddModel_ThroughLinkToOutside_SameMessageWhetherTheFileExistsOrNot()
    {
        var context = new HostileContext(fixture.Client, fixture.DataRoot);
        string link = context.Link("etc-compare", "/etc");

        RpcException existing = await Assert.ThrowsAsync<RpcException>(() => context.AddModelAsync("m", link + "/passwd")).DefaultTimeout();
        RpcException missing = await Assert.ThrowsAsync<RpcException>(() => context.AddModelAsync("m", link + "/passwX")).DefaultTimeout();

        Assert.Equal(existing.StatusCode, missing.StatusCode);
        Assert.Equal(existing.Status.Detail.Replace("passwd", "passwX", StringComparison.Ordinal), missing.Status.Detail);
    }

    [Fact]
    public async Task UploadModel_MoreConcurrentUploadsThanAllowed_ResourceExhaustedThenServesAgain()
    {
        IngestLimits limits = fixture.Factory.Services.GetRequiredService<IngestLimits>();
        using var cts = new CancellationTokenSource();
        var open = new List<AsyncClientStreamingCall<UploadModelChunk, ModelInfo>>();
        try
        {
            // Two uploads that stay open (the limit is 2), waited for until the service holds both.
            for (int i = 0; i < 2; i++)
            {
                AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call = fixture.Client.UploadModel(cancellationToken: cts.Token);
                open.Add(call);
                await call.RequestStream.WriteAsync(new UploadModelChunk { Name = $"held{i}", Data = ByteString.CopyFrom(1, 2, 3) });
            }

            await WaitUntilAsync(() => limits.Uploads.InUse == 2);
            string before = await SnapshotAsync();

            var context = new HostileContext(fixture.Client, fixture.DataRoot);
            RpcException error = await Assert.ThrowsAsync<RpcException>(() => context.UploadAsync(new UploadModelChunk { Name = "third", Data = ByteString.CopyFrom(1) })).DefaultTimeout();

            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Contains("DeepEverest:MaxConcurrentUploads", error.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(before, await SnapshotAsync());
        }
        finally
        {
            await cts.CancelAsync();
            foreach (AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call in open)
            {
                call.Dispose();
            }
        }

        await WaitUntilAsync(() => limits.Uploads.InUse == 0);
        Assert.Empty(Directory.EnumerateFiles(StagedUpload.DirectoryOf(fixture.DataRoot)));
    }

    /// <summary>Every model, dataset and index, the files the service owns, and the store's pending work, as one string.</summary>
    private async Task<string> SnapshotAsync()
    {
        ListModelsResponse models = await fixture.Client.ListModelsAsync(new ListModelsRequest()).ResponseAsync.DefaultTimeout();
        ListDatasetsResponse datasets = await fixture.Client.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync.DefaultTimeout();
        ListIndexesResponse indexes = await fixture.Client.ListIndexesAsync(new ListIndexesRequest()).ResponseAsync.DefaultTimeout();
        string modelFiles = string.Join(",", Directory.GetFiles(Path.Combine(fixture.DataRoot, "models")).Order());
        string uploads = Directory.Exists(StagedUpload.DirectoryOf(fixture.DataRoot)) ? string.Join(",", Directory.GetFiles(StagedUpload.DirectoryOf(fixture.DataRoot))) : "";
        StoreWriter store = fixture.Factory.Services.GetRequiredService<StoreWriter>();
        return $"{models}\n{datasets}\n{indexes}\n{modelFiles}\nuploads: {uploads}\npending: {store.ListPending().Count}\ninput rows: {store.CountInputRows()}";
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TaskTimeoutExtensions.Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
