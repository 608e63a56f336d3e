using System.Diagnostics;

namespace DeepEverest.Core.Indexing;

/// <summary>
/// Estimates the time left in a phase from its rate since the first step finished: the first step
/// pays one-time costs (an ONNX Runtime session's first run, JIT, the first read of the inputs)
/// that would make an estimate from it alone absurd ("1h 36m" for a 17 s phase). No estimate until
/// a second step is done.
/// </summary>
internal sealed class ProgressRate
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _firstMs = double.NaN;
    private long _firstDone;

    /// <summary>The time left after <paramref name="done"/> of <paramref name="total"/> units, or null while unknown.</summary>
    public TimeSpan? Remaining(long done, long total)
    {
        double now = _clock.Elapsed.TotalMilliseconds;
        if (double.IsNaN(_firstMs))
        {
            _firstMs = now;
            _firstDone = done;
            return done >= total ? TimeSpan.Zero : null;
        }

        if (done <= _firstDone)
        {
            return null;
        }

        double perUnit = (now - _firstMs) / (done - _firstDone);
        return TimeSpan.FromMilliseconds(perUnit * Math.Max(0, total - done));
    }
}
