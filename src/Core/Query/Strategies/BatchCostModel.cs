namespace DeepEverest.Core.Query.Strategies;

/// <summary>
/// What a verification batch of one layer costs, as measured: time ≈ overhead + perInput × b for a
/// batch that infers b inputs (reading the inputs, running the model, copying rows, exact costs).
/// Fitted by least squares over recent batches, older ones weighing less. Thread-safe; one per
/// (model file, dataset, layer), shared by every query on that layer.
/// </summary>
/// <remarks>
/// Adaptive verification (<see cref="BoundsExecutor"/>) uses it for one number: the
/// <see cref="EfficientBatch"/>, the smallest batch whose fixed overhead is at most a tenth of the
/// batch's time. Beyond it larger batches save little time and risk inferring inputs the answer
/// never needed; below it, per-batch overhead dominates. An expensive model (ResNet: overhead
/// well under a millisecond, ~15 ms per input) gets 1; a cheap one (the demo CNN: ~0.3 ms overhead,
/// ~0.06 ms per input) gets about 50.
/// </remarks>
public sealed class BatchCostModel
{
    /// <summary>Weight of the previous samples when a new one arrives.</summary>
    private const double Decay = 0.95;

    /// <summary>Largest overhead share of a batch's time at the efficient batch size.</summary>
    private const double OverheadShare = 0.1;

    private readonly Lock _lock = new();
    private double _w;
    private double _b;
    private double _t;
    private double _bb;
    private double _bt;
    private int _samples;

    /// <summary>Batches recorded.</summary>
    public int Samples
    {
        get
        {
            lock (_lock)
            {
                return _samples;
            }
        }
    }

    /// <summary>Records a batch that inferred <paramref name="inferred"/> inputs in <paramref name="milliseconds"/>.</summary>
    public void Record(int inferred, double milliseconds)
    {
        if (inferred <= 0 || !double.IsFinite(milliseconds) || milliseconds < 0)
        {
            return;
        }

        lock (_lock)
        {
            _w = (_w * Decay) + 1;
            _b = (_b * Decay) + inferred;
            _t = (_t * Decay) + milliseconds;
            _bb = (_bb * Decay) + ((double)inferred * inferred);
            _bt = (_bt * Decay) + (inferred * milliseconds);
            _samples++;
        }
    }

    /// <summary>
    /// The fitted (overhead, per-input) milliseconds, or null while the batches seen do not
    /// separate them (fewer than two distinct sizes).
    /// </summary>
    public (double OverheadMs, double PerInputMs)? Fit()
    {
        lock (_lock)
        {
            double determinant = (_w * _bb) - (_b * _b);
            // Sizes that barely differ (relative spread under 1%) cannot separate the two terms.
            if (_samples < 2 || determinant <= 0.01 * _w * _bb)
            {
                return null;
            }

            double perInput = ((_w * _bt) - (_b * _t)) / determinant;
            double overhead = (_t - (perInput * _b)) / _w;
            if (!(perInput > 0))
            {
                // Time does not grow with the batch: every input is nearly free, overhead is all.
                return (Math.Max(_t / _w, 0), 0);
            }

            return (Math.Max(overhead, 0), perInput);
        }
    }

    /// <summary>
    /// The smallest batch whose overhead is at most a tenth of its time, within [1, <paramref name="maximum"/>];
    /// <paramref name="maximum"/> while nothing is known.
    /// </summary>
    public int EfficientBatch(int maximum)
    {
        if (Fit() is not { } fit)
        {
            return maximum;
        }

        if (fit.PerInputMs <= 0)
        {
            return maximum;
        }

        double size = Math.Ceiling(fit.OverheadMs * (1 - OverheadShare) / (OverheadShare * fit.PerInputMs));
        return (int)Math.Clamp(size, 1, maximum);
    }
}
