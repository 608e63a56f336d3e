namespace DeepEverest.Services.Tests.Cli;

public sealed partial class CliTests
{
    [Fact]
    public async Task DatasetsImport_Text_TokenItemsInWindowsAndServiceErrorsNamingTheField()
    {
        // The vocabulary and sentences of TextImportServiceTests: 17 tokens in 4 windows of at most 8.
        WriteData("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nwhale\ncall\nme\nish\n##mael\n.\n,\n");
        WriteData("corpus/a.txt", "Call me Ishmael. The whale, the whale.\n\nThe whale.");
        WriteData("corpus/b.txt", "The whale.");
        string[] import = ["datasets", "import", "--text", "corpus/a.txt", "corpus/b.txt", "--tokenizer", "bert-wordpiece", "--vocab", "vocab.txt"];

        (int code, string output, string error) = await RunAsync([.. import, "--name", "moby", "--window-tokens", "8"]);

        Assert.True(code == 0, error);
        Assert.Contains("dataset moby: 17 tokens in 4 windows of at most 8 tokens, 2 documents (bert-wordpiece)", output, StringComparison.Ordinal);
        (code, output, error) = await RunAsync([.. import, "--name", "wide", "--window-tokens", "600"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: InvalidArgument: text.window_tokens is 600", error, StringComparison.Ordinal);
        (code, _, error) = await RunAsync([.. import, "--name", "both", "--window-tokens", "8", "--inputs", "fashion-images.idx"]);
        Assert.Equal(1, code);
        Assert.Contains("give one of --inputs", error, StringComparison.Ordinal);
        (code, _, error) = await RunAsync([.. import, "--name", "named", "--window-tokens", "8", "--name-pattern", "^(?<part>[a-z])\\.txt$"]);
        Assert.True(code == 0, error);
        (code, _, error) = await RunAsync([.. import, "--name", "unnamed", "--window-tokens", "8", "--name-pattern", "^(?<part>[0-9])\\.txt$"]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: InvalidArgument: text.paths[0]: document 'a.txt' does not match text.name_pattern", error, StringComparison.Ordinal);
        (code, output, _) = await RunAsync("--json", "datasets", "list");
        Assert.Contains("\"key\": \"part\"", output, StringComparison.Ordinal);
        (code, output, _) = await RunAsync("datasets", "list");
        Assert.Equal(0, code);
        Assert.DoesNotContain("unnamed", output, StringComparison.Ordinal);
        string named = output.Split('\n').Single(l => l.Contains(" named ", StringComparison.Ordinal));
        Assert.Contains("4 windows of <= 8 tokens, 2 documents", named, StringComparison.Ordinal);
        Assert.Contains("text (bert-wordpiece)", named, StringComparison.Ordinal);
        Assert.Contains("part: 2 values", named, StringComparison.Ordinal);
        Assert.DoesNotContain("wide", output, StringComparison.Ordinal);
        Assert.DoesNotContain("both", output, StringComparison.Ordinal);
    }

    private void WriteData(string relative, string content)
    {
        string path = Path.Combine(_factory.DataRoot, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
