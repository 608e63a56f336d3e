using DeepEverest.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>
/// Shows a streamed build (BuildIndex, MaterializeLayer): JSON lines with <c>--json</c>; on a
/// terminal two Spectre progress bars (inference over inputs, then construction over neurons) with
/// the service's ETA; when output is not a terminal (piped to a file or a log), plain lines: one
/// when a phase starts, then one per tenth of the phase, each naming only its own phase.
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
        else if (!session.Console.Ansi.Profile.Capabilities.Interactive)
        {
            var lines = new PlainLines(session.Console.Out, secondPhase);
            await foreach (BuildProgress message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                lines.Update(message);
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

    /// <summary>Progress as plain lines for logs: phase starts, every tenth of a phase, and the end.</summary>
    private sealed class PlainLines(TextWriter output, string secondPhase)
    {
        private BuildPhase _phase = BuildPhase.Unspecified;
        private int _tenth = -1;

        public void Update(BuildProgress message)
        {
            (string name, long done, long total, string unit) = message.Phase switch
            {
                BuildPhase.Inference => ("inference", message.InputsDone, message.InputsTotal, "inputs"),
                BuildPhase.Construction => (secondPhase, message.NeuronsDone, message.NeuronsTotal, "neurons"),
                _ => (message.Phase.ToString().ToLowerInvariant(), 0L, 0L, ""),
            };
            bool started = message.Phase != _phase;
            int tenth = total > 0 ? (int)(done * 10 / total) : 0;
            if (!started && tenth == _tenth)
            {
                return;
            }

            _phase = message.Phase;
            _tenth = tenth;
            string eta = message.EstimatedRemainingMs >= 0 && done < total ? " ETA " + Format.Duration(message.EstimatedRemainingMs) : "";
            string detail = total > 0 ? Format.Invariant($"{Format.Count(done)}/{Format.Count(total)} {unit}{eta}") : message.Message;
            output.WriteLine(Format.Invariant($"{name,-12} {detail}").TrimEnd());
        }
    }
}
