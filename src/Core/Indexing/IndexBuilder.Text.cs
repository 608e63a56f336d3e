using System.Diagnostics;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;

namespace DeepEverest.Core.Indexing;

/// <summary>The inference pass of a build over a text dataset: windows in, one row per token item out.</summary>
public sealed partial class IndexBuilder
{
    /// <summary>
    /// Runs every window in id order, <paramref name="batchWindows"/> at a time (fewer when their
    /// rows would pass <see cref="BatchBufferBytes"/>), and appends its tokens' rows: item ids are
    /// consecutive over windows, so row i of the matrix is item i.
    /// </summary>
    private static void InferWindows(StoreReader snapshot, LayerProbe probe, ActivationMatrix matrix, SummaryAccumulator? summaries, int threads, int batchWindows, Stopwatch clock, IProgress<BuildProgressInfo>? progress, CancellationToken cancellationToken)
    {
        TextDatasetInfo text = probe.Dataset.Text;
        int n = probe.Inputs;
        int neurons = probe.Neurons;
        int perRun = (int)Math.Clamp(BatchBufferBytes / ((long)text.WindowTokens * neurons * sizeof(float)), 1, Math.Max(1, batchWindows));
        using TokenActivationRunner runner = probe.CreateTokenRunner(snapshot, threads, perRun);
        var rows = new float[(long)perRun * text.WindowTokens * neurons];
        var rate = new ProgressRate();
        long done = 0;
        for (int first = 0; first < text.Windows; first += perRun)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = (int)Math.Min(perRun, text.Windows - first);
            TextWindowRow[] windows = snapshot.ReadTextWindows(probe.Dataset, Enumerable.Range(first, count).ToArray());
            if (windows[0].FirstItem != done)
            {
                throw DeepEverestException.Precondition($"Text dataset '{probe.Dataset.Name}' is inconsistent: window {first} starts at item {windows[0].FirstItem}, expected {done}; import it again.");
            }

            int tokens = windows.Sum(w => w.TokenIds.Count);
            Span<float> batch = rows.AsSpan(0, tokens * neurons);
            runner.Run([.. windows.Select(w => (ReadOnlyMemory<long>)w.TokenIds.ToArray())], batch);
            int bad = ActivationChecks.FirstNonFinite(batch);
            if (bad >= 0)
            {
                throw DeepEverestException.Precondition(
                    $"Layer '{probe.Layer.Name}' produced a non-finite activation (NaN or infinity) for item {done + (bad / neurons)}, neuron {bad % neurons}; such a layer cannot be indexed.");
            }

            matrix.AppendRows(batch, tokens);
            summaries?.Add(batch, (int)done, tokens, neurons);
            done += tokens;
            progress?.Report(new BuildProgressInfo(BuildPhase.Inference, done, n, 0, neurons, clock.Elapsed, rate.Remaining(done, n), $"window {first + count} of {text.Windows}"));
        }

        if (done != n)
        {
            throw DeepEverestException.Precondition($"Text dataset '{probe.Dataset.Name}' is inconsistent: its windows hold {done} tokens, its record {n}; import it again.");
        }
    }
}
