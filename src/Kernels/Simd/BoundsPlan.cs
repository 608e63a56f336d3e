using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepEverest.Kernels.Simd;

/// <summary>How a vector pass of <see cref="SimdKernels.GroupBounds"/> turns codes into terms.</summary>
internal enum LookupKind
{
    /// <summary>No vector pass (scalar path).</summary>
    None,

    /// <summary>Codes read one by one into a lane buffer loaded as a <see cref="System.Numerics.Vector{T}"/> (any P).</summary>
    Indexed,

    /// <summary>
    /// AVX-512 <c>vpermd</c>: a neuron's 16 entries, each its lower and upper term as two 16-bit
    /// integers, live in one register (P &lt;= 16, AVX-512BW for the 16-bit sums).
    /// </summary>
    Permute16,

    /// <summary>AVX-512 <c>vpermt2ps</c>: a 32-entry table in two registers (P = 32).</summary>
    Permute32,

    /// <summary>Two AVX2 gathers of 8 floats per 16 lanes (P &gt;= 64 on the 512-bit path).</summary>
    Gather512,

    /// <summary>AVX2 gathers of 4 floats by 64-bit index, twice per 8 lanes (256-bit path, P &gt;= 32).</summary>
    Gather256,

    /// <summary>
    /// AVX2 <c>vpshufb</c>: a neuron's 16 entries as four 16-byte tables (the low and high bytes of
    /// its lower and upper 16-bit terms), 64 inputs per step (256-bit path, P &lt;= 16).
    /// </summary>
    Shuffle16,
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
        if (Lookup is LookupKind.Permute16 or LookupKind.Shuffle16)
        {
            // vpermd and vpshufb read the low 4 bits of each index. Repeating the P entries over
            // all 16 makes entry c equal entry c mod P, so bits of the next code above a code's
            // own are harmless.
            TableStride = 16;
            TableLower = Periodic(problem.CoarseLower, Neurons, Partitions);
            TableUpper = Periodic(problem.CoarseUpper, Neurons, Partitions);
            if (Lookup == LookupKind.Permute16)
            {
                TablePacked = Packed(TableLower, TableUpper);
            }
            else
            {
                TableBytes = ByteTables(TableLower, TableUpper);
                DecodeConstants = Bits < 4 ? ShuffleDecodeConstants(Bits) : [];
            }
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

    /// <summary>
    /// For <see cref="LookupKind.Permute16"/>: <c>TableLower</c> in the low and <c>TableUpper</c>
    /// in the high 16 bits of each entry (coarse table terms are integers within 16 bits).
    /// </summary>
    public int[] TablePacked { get; } = [];

    /// <summary>
    /// For <see cref="LookupKind.Shuffle16"/>: 128 bytes per neuron, four <c>vpshufb</c> tables of
    /// 16 bytes, each twice (once per 128-bit lane, so a table is one plain load): the low bytes of
    /// its 16 lower terms, their high bytes, then the same of its upper terms (coarse table terms
    /// are integers within 16 bits).
    /// </summary>
    public byte[] TableBytes { get; } = [];

    /// <summary>
    /// For <see cref="LookupKind.Shuffle16"/> with codes of 1 to 3 bits: the 128-bit-lane constants
    /// of the code reader, 32 bytes each: <c>vpshufb</c> controls that put the two bytes holding the
    /// code of input 2k (k even, then k odd), then of input 2k + 1, into 16-bit lane k / 2, and the
    /// four matching <c>vpmullw</c> multipliers 2^(8 - shift) that bring each code to bit 8.
    /// </summary>
    public byte[] DecodeConstants { get; } = [];

    private static LookupKind ChooseLookup(SimdPath path, int partitions) => path switch
    {
        SimdPath.Scalar => LookupKind.None,
        SimdPath.Vector512 when Avx512BW.IsSupported && partitions <= 16 => LookupKind.Permute16,
        SimdPath.Vector512 when Avx512F.IsSupported && partitions == 32 => LookupKind.Permute32,
        SimdPath.Vector512 when Avx512F.IsSupported && Avx2.IsSupported => LookupKind.Gather512,
        SimdPath.Vector256 when Avx2.IsSupported && partitions <= 16 => LookupKind.Shuffle16,
        SimdPath.Vector256 when Avx2.IsSupported => LookupKind.Gather256,
        _ => LookupKind.Indexed,
    };

    /// <summary>The packed table: lower terms in the low, upper terms in the high 16 bits
    /// (<see cref="CoarseTerms.TableLimit"/> keeps both within a short).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] Packed(float[] lower, float[] upper)
    {
        var packed = new int[lower.Length];
        int e = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<int> low = Vector512.Create(0xFFFF);
            for (; e <= packed.Length - 16; e += 16)
            {
                Vector512<int> lo = Vector512.ConvertToInt32(Vector512.Create(lower.AsSpan(e, 16)));
                Vector512<int> hi = Vector512.ConvertToInt32(Vector512.Create(upper.AsSpan(e, 16)));
                ((lo & low) | (hi << 16)).CopyTo(packed.AsSpan(e, 16));
            }
        }

        for (; e < packed.Length; e++)
        {
            packed[e] = ((int)lower[e] & 0xFFFF) | ((int)upper[e] << 16);
        }

        return packed;
    }

    /// <summary>The <see cref="TableBytes"/> of periodic 16-entry tables: each integer term as a
    /// 16-bit two's complement number, split into its low and high byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[] ByteTables(float[] lower, float[] upper)
    {
        int neurons = lower.Length / 16;
        var bytes = new byte[neurons * 128];
        for (int j = 0; j < neurons; j++)
        {
            for (int c = 0; c < 16; c++)
            {
                int lo = (int)lower[(j * 16) + c];
                int hi = (int)upper[(j * 16) + c];
                for (int at = (j * 128) + c; at < (j * 128) + 32; at += 16)
                {
                    bytes[at] = (byte)lo;
                    bytes[at + 32] = (byte)(lo >> 8);
                    bytes[at + 64] = (byte)hi;
                    bytes[at + 96] = (byte)(hi >> 8);
                }
            }
        }

        return bytes;
    }

    /// <summary>
    /// The <see cref="DecodeConstants"/> of b-bit codes. A 128-bit lane reads 16 bytes from the
    /// first code of its 32 inputs; the code of lane input t starts at bit t*b, so in byte
    /// a = t*b / 8 at shift s = t*b % 8, and the 16-bit window of bytes a and a + 1 times 2^(8 - s)
    /// has it at bit 8 (its high byte holds the code and the bits above it).
    /// </summary>
    private static byte[] ShuffleDecodeConstants(int bits)
    {
        var constants = new byte[256];
        for (int part = 0; part < 4; part++)
        {
            // part 0: inputs 2k with k even (k = 2w), 1: 2k with k odd, 2 and 3: inputs 2k + 1.
            for (int w = 0; w < 8; w++)
            {
                int k = (2 * w) + (part & 1);
                int t = (2 * k) + (part >> 1);
                int a = t * bits / 8;
                int shift = t * bits % 8;
                int multiplier = 1 << (8 - shift);
                for (int lane = 0; lane < 2; lane++)
                {
                    int at = (lane * 16) + (2 * w);
                    constants[(part * 32) + at] = (byte)a;
                    constants[(part * 32) + at + 1] = (byte)(a + 1);
                    constants[128 + (part * 32) + at] = (byte)multiplier;
                    constants[128 + (part * 32) + at + 1] = (byte)(multiplier >> 8);
                }
            }
        }

        return constants;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Periodic(float[] table, int neurons, int partitions)
    {
        if (partitions == 16)
        {
            return table; // already one 16-entry table per neuron
        }

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
