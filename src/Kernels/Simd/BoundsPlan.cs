using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <summary>How a vector pass of <see cref="SimdKernels.GroupBounds"/> turns codes into float terms.</summary>
internal enum LookupKind
{
    /// <summary>No vector pass (scalar path).</summary>
    None,

    /// <summary>Codes read one by one into a lane buffer loaded as a <see cref="System.Numerics.Vector{T}"/> (any P).</summary>
    Indexed,

    /// <summary>AVX-512 <c>vpermps</c>: a 16-entry float table lives in one register (P &lt;= 16).</summary>
    Permute16,

    /// <summary>AVX-512 <c>vpermt2ps</c>: a 32-entry table in two registers (P = 32).</summary>
    Permute32,

    /// <summary>Two AVX2 gathers of 8 floats per 16 lanes (P &gt;= 64 on the 512-bit path).</summary>
    Gather512,

    /// <summary>AVX2 gathers of 4 floats by 64-bit index, twice per 8 lanes (256-bit path, any P).</summary>
    Gather256,
}

/// <summary>
/// Per-call preparation of <see cref="SimdKernels.GroupBounds"/>: the coarse term tables laid out
/// for the chosen lookup and the constants the loops need.
/// </summary>
internal sealed class BoundsPlan
{
    /// <summary>Prepares the tables of <paramref name="problem"/> for <paramref name="path"/>.</summary>
    public BoundsPlan(BoundsProblem problem, SimdPath path, bool multiShift)
    {
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
        MultiShift = multiShift && Lookup == LookupKind.Permute16 && Avx512Vbmi.IsSupported;
        if (Lookup == LookupKind.Permute16)
        {
            // vpermps reads the low 4 bits of each index. Repeating the P entries over all 16 makes
            // entry c equal entry c mod P, so bits of the next code above a code's own are harmless.
            TableStride = 16;
            TableLower = Periodic(problem.CoarseLower, Neurons, Partitions);
            TableUpper = Periodic(problem.CoarseUpper, Neurons, Partitions);
        }
        else
        {
            TableStride = Partitions;
            TableLower = problem.CoarseLower;
            TableUpper = problem.CoarseUpper;
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

    /// <summary>Whether 16 codes come from one AVX-512 VBMI <c>vpmultishiftqb</c> (P &lt;= 16).</summary>
    public bool MultiShift { get; }

    /// <summary>Entries per neuron in <see cref="TableLower"/> / <see cref="TableUpper"/>.</summary>
    public int TableStride { get; }

    /// <summary>Coarse lower terms, <c>[j*TableStride + code]</c>.</summary>
    public float[] TableLower { get; }

    /// <summary>Coarse upper terms, <c>[j*TableStride + code]</c>.</summary>
    public float[] TableUpper { get; }

    private static LookupKind ChooseLookup(SimdPath path, int partitions) => path switch
    {
        SimdPath.Scalar => LookupKind.None,
        SimdPath.Vector512 when Avx512F.IsSupported && partitions <= 16 => LookupKind.Permute16,
        SimdPath.Vector512 when Avx512F.IsSupported && partitions == 32 => LookupKind.Permute32,
        SimdPath.Vector512 when Avx512F.IsSupported && Avx2.IsSupported => LookupKind.Gather512,
        SimdPath.Vector256 when Avx2.IsSupported => LookupKind.Gather256,
        _ => LookupKind.Indexed,
    };

    private static float[] Periodic(float[] table, int neurons, int partitions)
    {
        var padded = new float[neurons * 16];
        for (int j = 0; j < neurons; j++)
        {
            for (int c = 0; c < 16; c++)
            {
                padded[(j * 16) + c] = table[(j * partitions) + (c % partitions)];
            }
        }

        return padded;
    }
}
