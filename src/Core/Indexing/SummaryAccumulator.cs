namespace DeepEverest.Core.Indexing;

/// <summary>
/// Computes the channel summaries of a layer during the index build's inference pass: per input
/// and segment of <see cref="SummaryLayout"/>, the sum and the sum of squares of the segment's
/// activations, rounded to float32, and per segment a radius that bounds, for every input, the
/// distance between the stored float and the real-number value (docs/large-groups.md, "Stored
/// values").
/// </summary>
internal sealed class SummaryAccumulator
{
    private const double HalfUlp = 1.0 / (1L << 53);

    private readonly SummaryLayout _layout;
    private readonly int _inputs;
    private readonly float[][] _sums;
    private readonly float[][] _squares;
    private readonly double[] _sumRadius;
    private readonly double[] _squareRadius;

    /// <summary>Prepares the summaries of <paramref name="inputs"/> inputs.</summary>
    public SummaryAccumulator(SummaryLayout layout, int inputs)
    {
        _layout = layout;
        _inputs = inputs;
        _sums = new float[layout.Segments][];
        _squares = new float[layout.Segments][];
        for (int s = 0; s < layout.Segments; s++)
        {
            _sums[s] = new float[inputs];
            _squares[s] = new float[inputs];
        }

        _sumRadius = new double[layout.Segments];
        _squareRadius = new double[layout.Segments];
    }

    /// <summary>Bytes the summaries of <paramref name="inputs"/> inputs take in memory (and in the store, about).</summary>
    public static long Bytes(SummaryLayout layout, long inputs) => layout.Segments * ((inputs * 8) + 16);

    /// <summary>The layout.</summary>
    public SummaryLayout Layout => _layout;

    /// <summary>Adds the rows of inputs [first, first + count) (count x neurons, row-major).</summary>
    public void Add(ReadOnlySpan<float> rows, int first, int count, int neurons)
    {
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<float> row = rows.Slice(r * neurons, neurons);
            int input = first + r;
            for (int s = 0; s < _layout.Segments; s++)
            {
                (int start, int length) = _layout.Range(s);
                double sum = 0;
                double square = 0;
                double magnitude = 0;
                foreach (float value in row.Slice(start, length))
                {
                    double a = value;
                    sum += a;
                    magnitude += Math.Abs(a);
                    // a * a is exact in double (24-bit significands).
                    square += a * a;
                }

                float storedSum = (float)sum;
                float storedSquare = (float)square;
                _sums[s][input] = storedSum;
                _squares[s][input] = storedSquare;
                // The double sum of m terms is within (m - 1) u of the real sum, relative to the
                // sum of magnitudes (computed itself within that bound): (m + 1) u covers both.
                double slack = (length + 1) * HalfUlp;
                double sumRadius = Up(Up(Math.Abs((double)storedSum - sum)) + Up(slack * magnitude));
                double squareRadius = Up(Up(Math.Abs((double)storedSquare - square)) + Up(slack * square));
                _sumRadius[s] = Math.Max(_sumRadius[s], sumRadius);
                _squareRadius[s] = Math.Max(_squareRadius[s], squareRadius);
            }
        }
    }

    /// <summary>The row of one segment: (sum radius, square radius, sums, squares).</summary>
    public (double SumRadius, double SquareRadius, float[] Sums, float[] Squares) Segment(int segment) =>
        (_sumRadius[segment], _squareRadius[segment], _sums[segment], _squares[segment]);

    /// <summary>Inputs summarized.</summary>
    public int Inputs => _inputs;

    private static double Up(double x) => Math.BitIncrement(x);
}
