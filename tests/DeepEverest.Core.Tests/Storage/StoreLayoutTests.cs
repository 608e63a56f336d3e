using System.Buffers.Binary;
using System.Text;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using Google.Protobuf;
using RocksDbSharp;

namespace DeepEverest.Core.Tests.Storage;

/// <summary>
/// Pins the bytes of the storage layout (docs/storage.md) so that stores written by earlier
/// versions stay readable: the expected keys and values are spelled out here from the document,
/// independently of <see cref="StoreLayout"/>, and compared with what <see cref="StoreWriter"/>
/// writes and what <see cref="StoreReader"/> reads from rows written directly with RocksDB.
/// </summary>
public sealed class StoreLayoutTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));

    public StoreLayoutTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void StoreWriter_RowsAndRecords_WrittenInTheDocumentedLayout()
    {
        // Arrange
        ulong generation;
        DatasetRecord dataset;
        using (StoreWriter store = StoreWriter.OpenPrimary(_root))
        {
            // Act
            using (DatasetWriter writer = store.BeginDataset("ds", [2], StoreLayout.ElementUInt8, 1, 0))
            {
                writer.Append([10, 11, 20, 21], [7, -3]);
                dataset = writer.Commit();
            }

            generation = store.BeginGeneration("index");
            store.WriteIndexRows(generation, firstNeuron: 5, count: 2, stride: 3, partitions: 2, maiCount: 1,
                codes: [1, 2, 3, 4, 5, 6], partMin: [0.5f, 1.5f, -1f, -2f], partMax: [2.5f, 3.5f, 4f, 8f],
                maiIds: [9, 4], maiValues: [7.25f, -0.75f]);
            store.WriteSummaryRow(generation, segment: 1, sumRadius: 0.125, squareRadius: 3.5, sums: [1f, 2f], squares: [3f, 4f]);
            store.WriteActivationColumns(generation, firstNeuron: 7, count: 1, inputs: 2, columns: [6.5f, -6.5f]);
        }

        // Assert
        using RocksDb db = OpenRaw();
        Assert.Equal(dataset.ToByteArray(), Get(db, "meta", Ascii("dataset/ds")));
        Assert.Equal(Concat(Int32Le(7), Int32Le(-3)), Get(db, "meta", Ascii("labels/ds")));
        Assert.Equal(UInt32Le(dataset.Id), Get(db, "meta", Ascii("seq/dataset")));
        Assert.Equal(UInt64Le(generation), Get(db, "meta", Ascii("seq/generation")));
        Assert.Equal(UInt64Le(dataset.Version), Get(db, "meta", Ascii("seq/version")));
        Assert.Equal(new byte[] { 20, 21 }, Get(db, "inputs", Concat(UInt32Be(dataset.Id), UInt32Be(1))));
        Assert.Equal(PendingBuild.Parser.ParseFrom(Get(db, "meta", Ascii($"pending/{generation:x16}"))).Generation, generation);

        byte[] neuron6 = Concat(UInt64Be(generation), UInt32Be(6));
        Assert.Equal(new byte[] { 4, 5, 6 }, Get(db, "codes", neuron6));
        Assert.Equal(Concat(FloatLe(-1f), FloatLe(-2f), FloatLe(4f), FloatLe(8f)), Get(db, "bounds", neuron6));
        Assert.Equal(Concat(Int32Le(4), FloatLe(-0.75f)), Get(db, "mai", neuron6));
        Assert.Equal(
            Concat(DoubleLe(0.125), DoubleLe(3.5), FloatLe(1f), FloatLe(2f), FloatLe(3f), FloatLe(4f)),
            Get(db, "codes", Concat(UInt64Be(generation), UInt32Be(0x8000_0001))));
        Assert.Equal(Concat(FloatLe(6.5f), FloatLe(-6.5f)), Get(db, "activations", Concat(UInt64Be(generation), UInt32Be(7))));
    }

    [Fact]
    public void StoreReader_RowsInTheDocumentedLayout_ReadBack()
    {
        // Arrange: an empty store, then rows put with RocksDB alone, as an earlier version wrote them.
        StoreWriter.OpenPrimary(_root).Dispose();
        const ulong Generation = 3;
        using (RocksDb db = OpenRaw())
        {
            byte[] neuron = Concat(UInt64Be(Generation), UInt32Be(2));
            Put(db, "meta", Ascii("labels/ds"), Concat(Int32Le(1), Int32Le(0), Int32Le(5)));
            Put(db, "codes", neuron, [0b_0110_0100]);
            Put(db, "bounds", neuron, Concat(FloatLe(1f), FloatLe(2f), FloatLe(3f), FloatLe(4f)));
            Put(db, "mai", neuron, Concat(Int32Le(2), FloatLe(9.5f)));
            Put(db, "codes", Concat(UInt64Be(Generation), UInt32Be(0x8000_0000)),
                Concat(DoubleLe(0.25), DoubleLe(0.5), FloatLe(1f), FloatLe(2f), FloatLe(3f), FloatLe(4f), FloatLe(5f), FloatLe(6f)));
            Put(db, "activations", neuron, Concat(FloatLe(0.5f), FloatLe(1.5f), FloatLe(2.5f)));
        }

        var index = new IndexRecord { Generation = Generation, Inputs = 3, Bits = 2, Partitions = 2, MaiCount = 1 };
        var materialization = new MaterializationRecord { Generation = Generation, Inputs = 3 };

        // Act
        using StoreReader store = StoreWriter.OpenPrimary(_root);
        using StoreReader snapshot = store.Snapshot();
        GroupIndexData group = snapshot.ReadGroup(index, [2]);
        SummaryRows summary = snapshot.ReadSummaries(index, [0]);
        float[] columns = snapshot.ReadActivationColumns(materialization, [2]);

        // Assert
        Assert.Equal(new[] { 1, 0, 5 }, snapshot.GetLabels("ds"));
        Assert.Equal(new byte[] { 0b_0110_0100 }, group.Codes);
        Assert.Equal(new[] { 1f, 2f }, group.PartMin);
        Assert.Equal(new[] { 3f, 4f }, group.PartMax);
        Assert.Equal(new[] { 2 }, Assert.Single(group.MaiIds));
        Assert.Equal(new[] { 9.5f }, Assert.Single(group.MaiValues));
        Assert.Equal((0.25, 0.5), (summary.SumRadius[0], summary.SquareRadius[0]));
        Assert.Equal(new[] { 1f, 2f, 3f }, summary.Sums[0]);
        Assert.Equal(new[] { 4f, 5f, 6f }, summary.Squares[0]);
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f }, columns);
    }

    private RocksDb OpenRaw()
    {
        var families = new ColumnFamilies();
        foreach (string name in new[] { "meta", "inputs", "codes", "bounds", "mai", "activations" })
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        return RocksDb.Open(new DbOptions(), Path.Combine(_root, "store"), families);
    }

    private static byte[] Get(RocksDb db, string family, byte[] key) =>
        db.Get(key, db.GetColumnFamily(family)) ?? throw new Xunit.Sdk.XunitException($"No key {Convert.ToHexString(key)} in '{family}'.");

    private static void Put(RocksDb db, string family, byte[] key, byte[] value) => db.Put(key, value, db.GetColumnFamily(family));

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] UInt32Be(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    private static byte[] UInt64Be(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    private static byte[] UInt32Le(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] UInt64Le(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private static byte[] Int32Le(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, v);
        return b;
    }

    private static byte[] FloatLe(float v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, v);
        return b;
    }

    private static byte[] DoubleLe(double v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, v);
        return b;
    }
}
