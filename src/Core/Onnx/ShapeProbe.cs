namespace DeepEverest.Core.Onnx;

/// <summary>
/// The input sizes <see cref="ModelInspector"/> runs a model at, and how it reads the symbolic axes of
/// an output back from two runs: batch 1, every fixed axis at its size, symbolic axis number k (in
/// order of first appearance after the batch axes) at 2 + k in the first run and 5 + 3k in the
/// second. The pairs differ per symbol, so an output axis that took one symbol's two sizes is that
/// symbol's axis; one that kept its size is fixed.
/// </summary>
internal sealed class ShapeProbe
{
    private readonly HashSet<string> _batchSymbols = new(StringComparer.Ordinal);
    private readonly List<string> _symbols = [];

    public ShapeProbe(IReadOnlyList<ModelInput> inputs)
    {
        Batch = inputs[0].Shape[0];
        foreach (ModelInput input in inputs)
        {
            if (input.Shape[0].Symbol is { } batch)
            {
                _batchSymbols.Add(batch);
            }
        }

        foreach (TensorDim dim in inputs.SelectMany(i => i.Shape.Skip(1)))
        {
            if (dim.Symbol is { } symbol && !_batchSymbols.Contains(symbol) && !_symbols.Contains(symbol))
            {
                _symbols.Add(symbol);
            }
        }
    }

    /// <summary>The batch axis as the first input declares it (the first axis of every layer).</summary>
    public TensorDim Batch { get; }

    /// <summary>True when some input has a symbolic axis besides the batch axis: two runs are needed.</summary>
    public bool HasSymbols => _symbols.Count > 0;

    /// <summary>The shape <paramref name="input"/> is fed at in run 0 or 1.</summary>
    public long[] Sizes(ModelInput input, int run) =>
        input.Shape.Select((dim, axis) => axis == 0 ? 1 : dim.Symbol is { } symbol ? SizeOf(symbol, run) : dim.Size).ToArray();

    /// <summary>
    /// The shape of an output that had shape <paramref name="first"/> and <paramref name="second"/> in
    /// the two runs, batch axis first; null when it has no batch axis of 1 or an axis that varied
    /// with no one symbol.
    /// </summary>
    public TensorDim[]? Describe(long[] first, long[] second)
    {
        if (first.Length == 0 || first.Length != second.Length || first[0] != 1 || second[0] != 1)
        {
            return null;
        }

        var dims = new TensorDim[first.Length];
        dims[0] = Batch;
        for (int axis = 1; axis < dims.Length; axis++)
        {
            if (first[axis] == second[axis])
            {
                dims[axis] = TensorDim.Fixed(first[axis]);
                continue;
            }

            string? symbol = _symbols.FirstOrDefault(s => SizeOf(s, 0) == first[axis] && SizeOf(s, 1) == second[axis]);
            if (symbol is null)
            {
                return null;
            }

            dims[axis] = TensorDim.Named(symbol);
        }

        return dims;
    }

    private long SizeOf(string symbol, int run)
    {
        if (_batchSymbols.Contains(symbol))
        {
            return 1;
        }

        int k = _symbols.IndexOf(symbol);
        return run == 0 ? 2 + k : 5 + (3 * k);
    }
}
