namespace DeepEverest.Bench;

/// <summary>Order statistics of a sample (nearest rank: the median of an even count is the lower middle).</summary>
/// <param name="Count">Values.</param>
/// <param name="Median">50th percentile.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="Max">Largest value.</param>
internal sealed record Summary(int Count, double Median, double P90, double Max)
{
    /// <summary>Summarizes <paramref name="values"/>; all NaN when there are none.</summary>
    public static Summary Of(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Summary(0, double.NaN, double.NaN, double.NaN);
        }

        return new Summary(sorted.Length, Rank(sorted, 0.5), Rank(sorted, 0.9), sorted[^1]);
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> in (0, 1] of sorted values.</summary>
    public static double Rank(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
