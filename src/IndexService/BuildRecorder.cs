using DeepEverest.Core.Indexing;

namespace DeepEverest.IndexService;

/// <summary>
/// Sits between a build and its throttled progress stream and records what the build reports in
/// the metrics: the time spent in each phase (<c>deepeverest.build.phase.duration</c>) and the
/// inputs inferred so far (<c>deepeverest.build.inputs.done</c>). Sees every report, before the
/// throttle drops any, on the build's own thread.
/// </summary>
internal sealed class BuildRecorder(IndexServiceMetrics metrics, string kind, IProgress<BuildProgressInfo> inner) : IProgress<BuildProgressInfo>
{
    private readonly Lock _lock = new();
    private BuildPhase? _phase;
    private TimeSpan _phaseStart;
    private long _inputsDone;

    /// <inheritdoc />
    public void Report(BuildProgressInfo value)
    {
        lock (_lock)
        {
            if (value.Phase != _phase)
            {
                EndPhase(value.Elapsed);
                _phase = value.Phase;
                _phaseStart = value.Elapsed;
            }

            if (value.Phase == BuildPhase.Inference && value.InputsDone > _inputsDone)
            {
                metrics.AddBuildInputs(kind, value.InputsDone - _inputsDone);
                _inputsDone = value.InputsDone;
            }
        }

        inner.Report(value);
    }

    /// <summary>Records the phase the build was in when it stopped, <paramref name="elapsed"/> after it started.</summary>
    public void Complete(TimeSpan elapsed)
    {
        lock (_lock)
        {
            EndPhase(elapsed);
            _phase = null;
        }
    }

    private void EndPhase(TimeSpan now)
    {
        if (_phase is { } phase && phase != BuildPhase.Done)
        {
            metrics.RecordBuildPhase(kind, IndexServiceMetrics.PhaseName(phase), now - _phaseStart);
        }
    }
}
