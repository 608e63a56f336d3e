using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace DeepEverest.Core.Tests.Text;

/// <summary>The token runner: windows of several lengths in one padded batch, and inputs it cannot feed.</summary>
[Collection(MobyDickCollection.Name)]
public sealed class TokenActivationRunnerTests(MobyDickStore moby)
{
    [Fact]
    public void Run_WindowsOfSeveralLengthsInOneBatch_EqualEachWindowRunAloneBitForBit()
    {
        TextDatasetInfo text = moby.Record.Text;
        int[] picked = [0, 1, (int)text.Windows - 1, (int)text.Windows / 2, 7];
        TextWindowRow[] windows = moby.Store.ReadTextWindows(moby.Record, picked);
        Assert.True(windows.Select(w => w.TokenIds.Count).Distinct().Count() > 1, "the windows should differ in length so that some are padded");
        OnnxModelFile model = TextModels.Load(TextModels.ArcticXs);
        using var runner = TokenActivationRunner.Create(model, MobyDickStore.Layer, text, new ActivationRunnerOptions { IntraOpThreads = 2, MaxBatch = 3 });
        var rows = new float[windows.Sum(w => w.TokenIds.Count) * MobyDickStore.Neurons];

        runner.Run([.. windows.Select(w => (ReadOnlyMemory<long>)w.TokenIds.ToArray())], rows);

        using InferenceSession alone = MobyDickStore.ProbeSession();
        float[] expected = [.. windows.SelectMany(w => MobyDickStore.RunAlone(alone, w.TokenIds, text.ClsId, text.SepId))];
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), rows.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Create_DatasetWithoutAFeedForAnInput_FailedPreconditionNamingIt()
    {
        TextDatasetInfo text = moby.Record.Text.Clone();
        text.Feeds.Remove(text.Feeds.Single(f => f.Name == "token_type_ids"));

        var error = Assert.Throws<DeepEverestException>(() => TokenActivationRunner.Create(TextModels.Load(TextModels.ArcticXs), MobyDickStore.Layer, text));

        Assert.Equal(ErrorKind.FailedPrecondition, error.Kind);
        Assert.Contains("'token_type_ids'", error.Message, StringComparison.Ordinal);
    }
}
