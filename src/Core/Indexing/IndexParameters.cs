using DeepEverest.Kernels;

namespace DeepEverest.Core.Indexing;

/// <summary>Partitions per neuron (P) and MAI ratio of an index.</summary>
/// <param name="Partitions">P, a power of two in [2, 256].</param>
/// <param name="Ratio">Fraction of inputs kept exactly per neuron, in [0, 0.5].</param>
public sealed record IndexParameters(int Partitions, double Ratio)
{
    /// <summary>Default P: 4-bit codes.</summary>
    public const int DefaultPartitions = 16;

    /// <summary>Default MAI ratio.</summary>
    public const double DefaultRatio = 0.01;

    /// <summary>Bits per code.</summary>
    public int Bits => CodeLayout.BitsFor(Partitions);

    /// <summary>Exact activations kept per neuron for n inputs: floor(ratio * n).</summary>
    public int MaiCount(long inputs) => (int)Math.Floor(Ratio * inputs);

    /// <summary>
    /// Index bytes as a fraction of full materialization (n x 4 bytes per neuron): codes b/32,
    /// MAI 2 x ratio (id + value), partition bounds 2P/n.
    /// </summary>
    public double StorageFraction(long inputs) =>
        (CodeLayout.StrideBytes((int)inputs, Bits) + MaiCount(inputs) * 8.0 + Partitions * 8.0) / (inputs * 4.0);

    /// <summary>
    /// Validates explicit values and fills the rest: from <paramref name="storageBudget"/> when it
    /// is set (the largest P, then the largest ratio, whose storage fraction fits), else defaults.
    /// </summary>
    public static IndexParameters Choose(int? partitions, double? ratio, double storageBudget, long inputs)
    {
        if (partitions is { } p && (p < 2 || p > 256 || (p & (p - 1)) != 0))
        {
            throw DeepEverestException.Invalid($"P = {p} is not allowed: the number of partitions must be a power of two in [2, 256].");
        }

        if (ratio is { } r && (double.IsNaN(r) || r < 0 || r > 0.5))
        {
            throw DeepEverestException.Invalid($"ratio = {r} is out of range: it must be in [0, 0.5].");
        }

        if (double.IsNaN(storageBudget) || storageBudget < 0 || storageBudget > 1)
        {
            throw DeepEverestException.Invalid($"storage budget = {storageBudget} is out of range: give a fraction of full materialization in (0, 1].");
        }

        if (storageBudget == 0)
        {
            return new IndexParameters(partitions ?? DefaultPartitions, ratio ?? DefaultRatio);
        }

        // Tighter partitions prune more than a larger MAI for the same bytes (a doubling of P costs
        // one bit per input; the MAI costs 64 bits per kept input), so P is maximised first while a
        // MAI of at least 1% fits; smaller MAIs are a second resort.
        double[][] passes = ratio is { } fixedRatio ? [[fixedRatio]] : [[0.05, 0.02, 0.01], [0.005, 0.0]];
        int[] ps = partitions is { } fixedP ? [fixedP] : [256, 128, 64, 32, 16, 8, 4, 2];
        foreach (double[] ratios in passes)
        {
            foreach (int candidateP in ps)
            {
                foreach (double candidateRatio in ratios)
                {
                    var candidate = new IndexParameters(candidateP, candidateRatio);
                    if (candidate.StorageFraction(inputs) <= storageBudget)
                    {
                        return candidate;
                    }
                }
            }
        }

        throw DeepEverestException.Invalid($"No index fits in {storageBudget:P1} of full materialization; the smallest (P = 2, ratio = 0) takes {new IndexParameters(2, 0).StorageFraction(inputs):P1}.");
    }
}
