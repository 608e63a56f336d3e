using DeepEverest.Services.Tests.IndexService;

namespace DeepEverest.Services.Tests.Cli;

public sealed partial class CliTests
{
    [Fact]
    public async Task ModelsUploadAndLayers_TokenModel_ShowInputsAndShapesPerToken()
    {
        string file = Path.Combine(_factory.DataRoot, "tokens.onnx");
        await File.WriteAllBytesAsync(file, MultiInputModelTests.TokenModel());

        var (code, output, _) = await RunAsync("models", "upload", "--name", "tokens", "--file", file);
        Assert.Equal(0, code);
        Assert.StartsWith(
            "model tokens: input 'input_ids' int64 [batch, sequence], 'attention_mask' int64 [batch, sequence], 2 layers",
            output,
            StringComparison.Ordinal);

        (code, output, _) = await RunAsync("layers", "--model", "tokens");
        Assert.Equal(0, code);
        Assert.Contains("[3] per sequence", output, StringComparison.Ordinal);
    }
}
