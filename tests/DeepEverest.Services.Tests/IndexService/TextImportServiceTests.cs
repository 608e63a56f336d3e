using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.IndexService;

/// <summary>
/// ImportDatasetRequest.text over gRPC (docs/text.md): files under the data root become token
/// items, DatasetInfo.text describes the cut, and bad input is refused naming the field, storing nothing.
/// </summary>
public sealed class TextImportServiceTests : IAsyncLifetime
{
    private readonly string _dataRoot = TestData.CreateTempDirectory();
    private IndexServiceFactory _index = null!;
    private GrpcChannel _channel = null!;

    public Task InitializeAsync()
    {
        // A WordPiece vocabulary of a few entries is enough to tokenize the text below.
        Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nwhale\ncall\nme\nish\n##mael\n.\n,\n");
        Write("corpus/a.txt", "Call me Ishmael. The whale, the whale.\n\nThe whale.");
        Write("corpus/b.txt", "The whale.");
        _index = new IndexServiceFactory(_dataRoot);
        _channel = _index.CreateChannel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _index.DisposeAsync();
        TestData.DeleteDirectory(_dataRoot);
    }

    [Fact]
    public async Task ImportDataset_Text_TokenItemsAndTextInfo()
    {
        var index = new IndexClient(_channel);

        DatasetInfo info = await index.ImportDatasetAsync(Request(windowTokens: 8)).ResponseAsync.DefaultTimeout();

        // a.txt: call me ish ##mael . | the whale , the whale . | the whale . (blank line); b.txt: the whale .
        Assert.Equal(5 + 6 + 3 + 3, info.Count);
        Assert.Equal("bert-wordpiece", info.Text.Tokenizer);
        Assert.Equal(8, info.Text.WindowTokens);
        Assert.Equal(2, info.Text.Documents);
        Assert.Equal(4, info.Text.Windows);
        Assert.Empty(info.InputShape);
        Assert.Equal(64, info.Text.VocabSha256.Length);
        Assert.Empty(_index.Logs.Errors);
    }

    [Theory]
    [InlineData(600, "bert-wordpiece", "text.window_tokens")]
    [InlineData(8, "sentencepiece", "text.tokenizer")]
    public async Task ImportDataset_BadText_InvalidArgumentNamingTheFieldNothingStored(int windowTokens, string tokenizer, string field)
    {
        var index = new IndexClient(_channel);

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => index.ImportDatasetAsync(Request(windowTokens, tokenizer)).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(field, refused.Status.Detail, StringComparison.Ordinal);
        ListDatasetsResponse listed = await index.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync.DefaultTimeout();
        Assert.Empty(listed.Datasets);
    }

    private static ImportDatasetRequest Request(int windowTokens, string tokenizer = "bert-wordpiece") => new()
    {
        Name = "moby",
        Text = new TextSource { Paths = { "corpus/a.txt", "corpus/b.txt" }, Tokenizer = tokenizer, VocabPath = "vocab.txt", WindowTokens = windowTokens },
    };

    private void Write(string relative, string content)
    {
        string path = Path.Combine(_dataRoot, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
