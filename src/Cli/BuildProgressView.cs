using DeepEverest.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>
/// Shows a streamed build (BuildIndex, MaterializeLayer): JSON lines with <c>--json</c>, else two
/// Spectre progress bars (inference over inputs, then construction over neurons) with the
/// service's ETA.
/// </summary>
internal static class BuildProgressView
{
    /// <summary>Follows the stream to its end; returns the final (DONE) message.</summary>
    /// <param name="session">The invocation.</param>
    /// <param name="call">The streaming call.</param>
    /// <param name="secondPhase">Label of the phase after inference, e.g. "construction".</param>
    /// <param name="cancellationToken">Cancels the call (and so the build on the service).</param>
    public static async Task<BuildProgress> FollowAsync(
        CliSession session, AsyncServerStreamingCall<BuildProgress> call, string secondPhase, CancellationToken cancellationToken)
    {
        BuildProgress? last = null;
        if (session.Json)
        {
            await foreach (BuildProgress message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                session.WriteJson(message);
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
                    ProgressTask first = context.AddTask(Describe("inference", "starting"), autoStart: false, maxValue: 1);
                    ProgressTask second = context.AddTask(Describe(secondPhase, "waiting"), autoStart: false, maxValue: 1);
                    await foreach (BuildProgress message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        Update(first, second, secondPhase, message);
                        last = message;
                    }
                }).ConfigureAwait(false);
        }

        if (last is not { Phase: BuildPhase.Done })
        {
            throw new CliException("the service ended the build stream without a result; see its log.");
        }

        return last;
    }

    private static void Update(ProgressTask first, ProgressTask second, string secondPhase, BuildProgress message)
    {
        string eta = message.EstimatedRemainingMs >= 0 ? "ETA " + Format.Duration(message.EstimatedRemainingMs) : "";
        switch (message.Phase)
        {
            case BuildPhase.Queued:
                first.Description = Describe("queued", message.Message);
                break;
            case BuildPhase.Inference:
                Start(first);
                first.MaxValue = Math.Max(1, message.InputsTotal);
                first.Value = message.InputsDone;
                first.Description = Describe("inference", $"{Format.Count(message.InputsDone)}/{Format.Count(message.InputsTotal)} inputs {eta}");
                break;
            case BuildPhase.Construction:
                Finish(first, Describe("inference", $"{Format.Count(message.InputsTotal)} inputs"));
                Start(second);
                second.MaxValue = Math.Max(1, message.NeuronsTotal);
                second.Value = message.NeuronsDone;
                second.Description = Describe(secondPhase, $"{Format.Count(message.NeuronsDone)}/{Format.Count(message.NeuronsTotal)} neurons {eta}");
                break;
            case BuildPhase.Publishing:
            case BuildPhase.Done:
                Finish(first, Describe("inference", $"{Format.Count(message.InputsTotal)} inputs"));
                Finish(second, Describe(secondPhase, $"{Format.Count(message.NeuronsTotal)} neurons"));
                break;
        }
    }

    private static void Start(ProgressTask task)
    {
        // StartTask restarts the task's clock: call it once.
        if (!task.IsStarted)
        {
            task.StartTask();
        }
    }

    private static void Finish(ProgressTask task, string description)
    {
        Start(task);
        task.Value = task.MaxValue;
        task.Description = description;
        if (task.StopTime is null)
        {
            task.StopTask();
        }
    }

    private static string Describe(string phase, string detail) => Markup.Escape(Format.Invariant($"{phase,-12} {detail}").TrimEnd());
}
