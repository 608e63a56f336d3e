using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <summary>How a vector pass of <see cref="SimdKernels.GroupBounds"/> turns codes into terms.</summary>
internal enum LookupKind
{
    /// <summary>No vector pass (scalar path).</summary>
    None,

    /// <summary>Codes read one by one into a buffer that is loaded as a vector (any width, any P).</summary>
    Indexed,

    /// <summary>AVX-512 two-table permute: a 16-entry table lives in two registers (P &lt;= 16).</summary>
    Permute16,

    /// <summary>Two AVX-512 two-table permutes and a blend on bit 4 of the code (P = 32).</summary>
    Permute32,

    /// <summary>Two AVX2 gathers of four doubles per 8 lanes (P &gt;= 64 on the 512-bit path).</summary>
    Gather512,

    /// <summary>AVX2 gathers of four doubles (256-bit path, any P).</summary>
    Gather256,
}

/// <summary>
/// Per-call preparation of <see cref="SimdKernels.GroupBounds"/>: term tables laid out for the
/// chosen lookup (padded to 16 entries per neuron for the permute lookups), and the constants the
/// loops need.
/// </summary>
internal sealed class BoundsPlan
{
    /// <summary>Prepares the tables of <paramref name="problem"/> for <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">A neuron's MAI ids are not strictly ascending.</exception>
    public BoundsPlan(BoundsProblem problem, SimdPath path)
    {
        CheckMaiIds(problem);
        Problem = problem;
        Path = path;
        Inputs = problem.Inputs;
        Neurons = problem.Cost.GroupSize;
        Partitions = problem.Partitions;
        Bits = problem.Bits;
        Stride = problem.Stride;
        ByMax = problem.Cost.CombinesByMax;
        Finish = SimdKernels.FinishOf(problem.Cost);
        Lookup = ChooseLookup(path, Partitions);
        if (Lookup == LookupKind.Permute16 && Partitions < 16)
        {
            // A permute reads 16 entries; codes never exceed P-1, so the padding is never selected.
            TableStride = 16;
            TableLower = Pad(problem.TermLower, Neurons, Partitions, TableStride);
            TableUpper = Pad(problem.TermUpper, Neurons, Partitions, TableStride);
        }
        else
        {
            TableStride = Partitions;
            TableLower = problem.TermLower;
            TableUpper = problem.TermUpper;
        }
    }

    /// <summary>The problem.</summary>
    public BoundsProblem Problem { get; }

    /// <summary>The vector width.</summary>
    public SimdPath Path { get; }

    /// <summary>n.</summary>
    public int Inputs { get; }

    /// <summary>g.</summary>
    public int Neurons { get; }

    /// <summary>P.</summary>
    public int Partitions { get; }

    /// <summary>Bits per code.</summary>
    public int Bits { get; }

    /// <summary>Bytes per neuron stream.</summary>
    public int Stride { get; }

    /// <summary>Whether terms combine by max.</summary>
    public bool ByMax { get; }

    /// <summary>The finishing step.</summary>
    public SimdKernels.FinishKind Finish { get; }

    /// <summary>The lookup the vector pass uses.</summary>
    public LookupKind Lookup { get; }

    /// <summary>Entries per neuron in <see cref="TableLower"/> / <see cref="TableUpper"/>.</summary>
    public int TableStride { get; }

    /// <summary>Lower terms, <c>[j*TableStride + code]</c>.</summary>
    public double[] TableLower { get; }

    /// <summary>Upper terms, <c>[j*TableStride + code]</c>.</summary>
    public double[] TableUpper { get; }

    /// <summary>
    /// The passes write one saved entry per MAI id inside a chunk through raw pointers, so ids must
    /// be distinct (strictly ascending per neuron) for those writes to stay in bounds.
    /// </summary>
    private static void CheckMaiIds(BoundsProblem problem)
    {
        int[] offsets = problem.MaiOffsets;
        int[] ids = problem.MaiIds;
        for (int j = 0; j + 1 < offsets.Length; j++)
        {
            for (int e = offsets[j] + 1; e < offsets[j + 1]; e++)
            {
                if (ids[e] <= ids[e - 1])
                {
                    throw new ArgumentException($"Neuron {j}: MAI ids must be distinct and ascending; {ids[e]} follows {ids[e - 1]}.", nameof(problem));
                }
            }
        }
    }

    private static LookupKind ChooseLookup(SimdPath path, int partitions) => path switch
    {
        SimdPath.Scalar => LookupKind.None,
        SimdPath.Vector512 when Avx512F.IsSupported && partitions <= 16 => LookupKind.Permute16,
        SimdPath.Vector512 when Avx512F.IsSupported && partitions == 32 => LookupKind.Permute32,
        SimdPath.Vector512 when Avx512F.IsSupported && Avx2.IsSupported => LookupKind.Gather512,
        SimdPath.Vector256 when Avx2.IsSupported => LookupKind.Gather256,
        _ => LookupKind.Indexed,
    };

    private static double[] Pad(double[] table, int neurons, int partitions, int stride)
    {
        var padded = new double[neurons * stride];
        for (int j = 0; j < neurons; j++)
        {
            Array.Copy(table, j * partitions, padded, j * stride, partitions);
        }

        return padded;
    }
}
