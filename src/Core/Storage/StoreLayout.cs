using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace DeepEverest.Core.Storage;

/// <summary>
/// The storage layout of the RocksDB store, in one place (docs/storage.md describes it for humans).
/// <list type="table">
/// <item><term>meta</term><description>string keys -> protobuf records (<c>Records/*</c>): datasets,
/// models, published indexes, materializations, pending builds, sequences.</description></item>
/// <item><term>inputs</term><description>dataset id (u32 BE) + input id (u32 BE) -> the input's raw
/// elements as stored (uint8 or float32 LE); labels live in meta under <see cref="LabelsKey"/>.</description></item>
/// <item><term>codes</term><description>generation (u64 BE) + neuron (u32 BE) -> the neuron's packed
/// partition codes (n x b bits, see <c>IKernels</c>); and generation + (2^31 + segment) -> a channel
/// summary row (<see cref="SummaryKey"/>, docs/large-groups.md).</description></item>
/// <item><term>bounds</term><description>generation + neuron -> P float32 minimums then P float32
/// maximums (LE).</description></item>
/// <item><term>mai</term><description>generation + neuron -> c int32 ids then c float32 values (LE),
/// ordered by value descending then id ascending.</description></item>
/// <item><term>activations</term><description>generation + neuron -> n float32 activations (LE) of
/// one neuron: the PreprocessAll materialization, column-wise so a group reads g values.</description></item>
/// </list>
/// Big-endian integers in keys make RocksDB's byte order equal numeric order, so one generation's
/// rows are one contiguous key range (deleted with one DeleteRange).
/// </summary>
public static class StoreLayout
{
    /// <summary>Column family of records.</summary>
    public const string Meta = "meta";

    /// <summary>Column family of dataset inputs.</summary>
    public const string Inputs = "inputs";

    /// <summary>Column family of packed partition codes.</summary>
    public const string Codes = "codes";

    /// <summary>Column family of per-partition min/max.</summary>
    public const string Bounds = "bounds";

    /// <summary>Column family of the exact top activations (MAI).</summary>
    public const string Mai = "mai";

    /// <summary>Column family of materialized activations (PreprocessAll).</summary>
    public const string Activations = "activations";

    /// <summary>Every column family, in creation order.</summary>
    public static readonly string[] ColumnFamilies = [Meta, Inputs, Codes, Bounds, Mai, Activations];

    /// <summary>Separator inside composite string keys; names never contain it.</summary>
    public const char Separator = '\u001f';

    /// <summary>Element type code of inputs stored as uint8 (deepeverest.v1.ElementType numbering).</summary>
    public const int ElementUInt8 = 1;

    /// <summary>Element type code of inputs stored as float32 LE.</summary>
    public const int ElementFloat32 = 2;

    /// <summary>Meta key of a dataset record.</summary>
    public static byte[] DatasetKey(string name) => Utf8("dataset/" + name);

    /// <summary>Meta key of a dataset's labels (int32 LE per input).</summary>
    public static byte[] LabelsKey(string name) => Utf8("labels/" + name);

    /// <summary>Meta key of a model record.</summary>
    public static byte[] ModelKey(string name) => Utf8("model/" + name);

    /// <summary>Meta key of a published index.</summary>
    public static byte[] IndexKey(string model, string dataset, string layer) =>
        Utf8("index/" + model + Separator + dataset + Separator + layer);

    /// <summary>Meta key of a materialization.</summary>
    public static byte[] MaterializationKey(string model, string dataset, string layer) =>
        Utf8("mat/" + model + Separator + dataset + Separator + layer);

    /// <summary>Meta key of a pending build marker.</summary>
    public static byte[] PendingKey(ulong generation) => Utf8($"pending/{generation:x16}");

    /// <summary>Meta key prefixes, for listing.</summary>
    public const string DatasetPrefix = "dataset/";

    /// <summary>Prefix of model records.</summary>
    public const string ModelPrefix = "model/";

    /// <summary>Prefix of index records.</summary>
    public const string IndexPrefix = "index/";

    /// <summary>Prefix of materialization records.</summary>
    public const string MaterializationPrefix = "mat/";

    /// <summary>Prefix of pending build markers.</summary>
    public const string PendingPrefix = "pending/";

    /// <summary>Meta key of the last generation handed out (u64 LE).</summary>
    public static readonly byte[] GenerationSequenceKey = Utf8("seq/generation");

    /// <summary>Meta key of the last dataset id handed out (u32 LE).</summary>
    public static readonly byte[] DatasetSequenceKey = Utf8("seq/dataset");

    /// <summary>Meta key of the last record version handed out (u64 LE): see <c>DatasetRecord.version</c>.</summary>
    public static readonly byte[] VersionSequenceKey = Utf8("seq/version");

    /// <summary>Key of one input in the inputs column family.</summary>
    public static byte[] InputKey(uint datasetId, int inputId)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(key, datasetId);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(4), (uint)inputId);
        return key;
    }

    /// <summary>First key after every input of a dataset.</summary>
    public static byte[] InputRangeEnd(uint datasetId)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, datasetId + 1);
        return key;
    }

    /// <summary>Key of one neuron's row of a generation (codes, bounds, mai, activations).</summary>
    public static byte[] NeuronKey(ulong generation, int neuron)
    {
        var key = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(key, generation);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(8), (uint)neuron);
        return key;
    }

    /// <summary>
    /// Neuron field of the first summary row: summary keys sort after every neuron of their
    /// generation (neurons are below 2^31), inside the generation's key range, so publication and
    /// deletion treat them like the neuron rows.
    /// </summary>
    public const uint SummaryKeyBase = 0x8000_0000;

    /// <summary>
    /// Key of one channel summary segment's row in the codes family: generation + (2^31 + segment).
    /// Value: radius of the sums (f64 LE), radius of the sums of squares (f64 LE), n sums (f32 LE),
    /// n sums of squares (f32 LE); see <c>ChannelSummaries</c>.
    /// </summary>
    public static byte[] SummaryKey(ulong generation, int segment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(segment);
        var key = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(key, generation);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(8), SummaryKeyBase + (uint)segment);
        return key;
    }

    /// <summary>First key of a generation.</summary>
    public static byte[] GenerationStart(ulong generation)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(key, generation);
        return key;
    }

    /// <summary>First key after a generation.</summary>
    public static byte[] GenerationEnd(ulong generation) => GenerationStart(generation + 1);

    /// <summary>Checks a user-given model or dataset name: 1-64 of [A-Za-z0-9._-].</summary>
    public static void ValidateName(string name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw DeepEverestException.Invalid($"Invalid {what} name '{name}': use 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'.");
        }
    }

    /// <summary>Value of a u64 sequence key (<see cref="GenerationSequenceKey"/>, <see cref="VersionSequenceKey"/>); absent = 0.</summary>
    internal static ulong DecodeU64(byte[]? value) => value is null ? 0 : BinaryPrimitives.ReadUInt64LittleEndian(value);

    /// <summary>Encodes a u64 sequence value (LE).</summary>
    internal static byte[] EncodeU64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Value of the u32 <see cref="DatasetSequenceKey"/>; absent = 0.</summary>
    internal static uint DecodeU32(byte[]? value) => value is null ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(value);

    /// <summary>Encodes a u32 sequence value (LE).</summary>
    internal static byte[] EncodeU32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Value under <see cref="LabelsKey"/>: one int32 LE label per input id.</summary>
    internal static byte[] EncodeLabels(int[] labels) => MemoryMarshal.AsBytes(labels.AsSpan()).ToArray();

    /// <summary>Labels from a value under <see cref="LabelsKey"/>.</summary>
    internal static int[] DecodeLabels(byte[] value) => MemoryMarshal.Cast<byte, int>(value).ToArray();

    /// <summary>Bytes of a bounds row of <paramref name="partitions"/> partitions.</summary>
    internal static int BoundsRowBytes(int partitions) => partitions * 8;

    /// <summary>Writes a bounds row: P float32 minimums, then P float32 maximums (LE).</summary>
    internal static void EncodeBoundsRow(ReadOnlySpan<float> min, ReadOnlySpan<float> max, Span<byte> row)
    {
        MemoryMarshal.AsBytes(min).CopyTo(row);
        MemoryMarshal.AsBytes(max).CopyTo(row[(min.Length * 4)..]);
    }

    /// <summary>Reads a bounds row into <paramref name="min"/> and <paramref name="max"/> (P floats each).</summary>
    internal static void DecodeBoundsRow(ReadOnlySpan<byte> row, Span<float> min, Span<float> max)
    {
        ReadOnlySpan<float> floats = MemoryMarshal.Cast<byte, float>(row);
        floats[..min.Length].CopyTo(min);
        floats.Slice(min.Length, max.Length).CopyTo(max);
    }

    /// <summary>Bytes of a MAI row of <paramref name="count"/> entries.</summary>
    internal static int MaiRowBytes(int count) => count * 8;

    /// <summary>Writes a MAI row: c int32 ids, then c float32 values (LE), in the caller's order.</summary>
    internal static void EncodeMaiRow(ReadOnlySpan<int> ids, ReadOnlySpan<float> values, Span<byte> row)
    {
        MemoryMarshal.AsBytes(ids).CopyTo(row);
        MemoryMarshal.AsBytes(values).CopyTo(row[(ids.Length * 4)..]);
    }

    /// <summary>Reads the <paramref name="count"/> ids and values of a MAI row.</summary>
    internal static (int[] Ids, float[] Values) DecodeMaiRow(byte[] row, int count) =>
        (MemoryMarshal.Cast<byte, int>(row.AsSpan(0, count * 4)).ToArray(),
         MemoryMarshal.Cast<byte, float>(row.AsSpan(count * 4, count * 4)).ToArray());

    /// <summary>Bytes of a channel summary row over <paramref name="inputs"/> inputs (<see cref="SummaryKey"/>).</summary>
    internal static int SummaryRowBytes(int inputs) => 16 + (inputs * 8);

    /// <summary>Encodes a channel summary row (layout: <see cref="SummaryKey"/>).</summary>
    internal static byte[] EncodeSummaryRow(double sumRadius, double squareRadius, ReadOnlySpan<float> sums, ReadOnlySpan<float> squares)
    {
        var value = new byte[16 + ((sums.Length + squares.Length) * 4)];
        BinaryPrimitives.WriteDoubleLittleEndian(value, sumRadius);
        BinaryPrimitives.WriteDoubleLittleEndian(value.AsSpan(8), squareRadius);
        MemoryMarshal.AsBytes(sums).CopyTo(value.AsSpan(16));
        MemoryMarshal.AsBytes(squares).CopyTo(value.AsSpan(16 + (sums.Length * 4)));
        return value;
    }

    /// <summary>Decodes a channel summary row of <paramref name="inputs"/> inputs (length checked by the caller).</summary>
    internal static (double SumRadius, double SquareRadius, float[] Sums, float[] Squares) DecodeSummaryRow(byte[] row, int inputs) =>
        (BinaryPrimitives.ReadDoubleLittleEndian(row),
         BinaryPrimitives.ReadDoubleLittleEndian(row.AsSpan(8)),
         MemoryMarshal.Cast<byte, float>(row.AsSpan(16, inputs * 4)).ToArray(),
         MemoryMarshal.Cast<byte, float>(row.AsSpan(16 + (inputs * 4), inputs * 4)).ToArray());

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
