using DeepEverest.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>
/// Shows a streamed dataset import (ImportDatasetWithProgress): a Spectre progress bar over the
/// bytes of the files, with inputs and parts read and the service's ETA; nothing but the result
/// with <c>--json</c>.
/// </summary>
internal static class ImportProgressView
{
    /// <summary>Follows the stream to its end; returns the imported dataset.</summary>
    /// <param name="session">The invocation.</param>
    /// <param name="call">The streaming call.</param>
    /// <param name="cancellationToken">Cancels the call (and so the import on the service).</param>
    public static async Task<DatasetInfo> FollowAsync(CliSession session, AsyncServerStreamingCall<ImportProgress> call, CancellationToken cancellationToken)
    {
        ImportProgress? last = null;
        if (session.Json)
        {
            await foreach (ImportProgress message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                last = message;
            }
        }
        else
        {
            await session.Console.Ansi.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    ProgressTask task = context.AddTask(Describe("starting"), autoStart: true, maxValue: 1);
                    await foreach (ImportProgress message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        task.MaxValue = Math.Max(1, message.BytesTotal);
                        task.Value = message.BytesDone;
                        string eta = message.EstimatedRemainingMs > 0 ? " ETA " + Format.Duration(message.EstimatedRemainingMs) : "";
                        task.Description = Describe(Format.Invariant(
                            $"{Format.Count(message.InputsDone)}/{Format.Count(message.InputsTotal)} inputs, {message.Message}, {Format.Bytes(message.BytesDone)}/{Format.Bytes(message.BytesTotal)}{eta}"));
                        last = message;
                    }

                    task.Value = task.MaxValue;
                    task.StopTask();
                }).ConfigureAwait(false);
        }

        return last?.Dataset ?? throw new CliException("the service ended the import stream without a result; see its log.");
    }

    private static string Describe(string detail) => Markup.Escape(Format.Invariant($"{"import",-8} {detail}"));
}
