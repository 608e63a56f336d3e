using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Tests.Datasets;

/// <summary>
/// Imports of a folder of PNG and JPEG files in torchvision's ImageFolder layout: class folders
/// sorted by code point give labels and label names, images are decoded, converted to grey or RGB
/// and resized to the input shape, and a bad file, a link out of the data root or a folder without
/// classes is refused naming it, leaving nothing in the store.
/// </summary>
public sealed class ImageFolderImportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
    private readonly string _outside = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N") + "-outside");
    private readonly StoreWriter _store;

    public ImageFolderImportTests()
    {
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_outside);
        _store = StoreWriter.OpenPrimary(_root);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public void Import_ClassFolders_LabelsAndNamesInCodePointOrderIdsByClassThenFileName()
    {
        // Code point order: "Cat" < "ant" < "dog"; "10.png" < "9.jpg". Hidden folders and files
        // directly in the folder are not classes.
        Write("pets/dog/9.jpg", TestImages.Jpeg(16, 16, (_, _) => (255, 255, 255)));
        Write("pets/dog/10.png", TestImages.SolidPng(2, 2, 10, 20, 30));
        Write("pets/Cat/a.png", TestImages.SolidPng(4, 4, 200, 100, 50));
        Write("pets/ant/x.png", TestImages.GreyPng(8, 8, (_, _) => 77));
        Write("pets/.ipynb_checkpoints/old.png", TestImages.SolidPng(4, 4, 1, 2, 3));
        Write("pets/README.txt", "not a class"u8.ToArray());

        DatasetRecord record = Import(FolderRequest("pets", [1, 4, 4]));

        Assert.Equal(4, record.Count);
        Assert.Equal([1L, 4, 4], record.InputShape);
        Assert.Equal(StoreLayout.ElementUInt8, record.ElementType);
        Assert.Equal([0, 1, 2, 2], _store.GetLabels("pets")!);
        Assert.Equal(new Dictionary<int, string> { [0] = "Cat", [1] = "ant", [2] = "dog" }, _store.GetDataset("pets")!.LabelNames);
        float[] pixels = ReadAll(record);
        Assert.All(pixels[..16], v => Assert.Equal(TestImages.Luma(200, 100, 50), v));
        Assert.All(pixels[16..32], v => Assert.Equal(77, v));
        Assert.All(pixels[32..48], v => Assert.Equal(TestImages.Luma(10, 20, 30), v));
        Assert.All(pixels[48..], v => Assert.InRange(v, 253, 255));
    }

    [Fact]
    public void Import_RgbShape_StoresChannelPlanesOfTheHalvedImageIgnoringAspect()
    {
        // 8 x 4 pixels in four 4 x 2 quadrants, resized to 2 x 2: each halving averages equal
        // pixels, so each output pixel is its quadrant's colour exactly.
        (byte, byte, byte)[] quadrants = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (17, 130, 250)];
        Write("rgb/only/q.png", TestImages.Png(8, 4, (x, y) => quadrants[(2 * (y / 2)) + (x / 4)]));

        DatasetRecord record = Import(FolderRequest("rgb", [3, 2, 2]));

        float[] pixels = ReadAll(record);
        Assert.Equal(quadrants.Select(q => (float)q.Item1), pixels[..4]);
        Assert.Equal(quadrants.Select(q => (float)q.Item2), pixels[4..8]);
        Assert.Equal(quadrants.Select(q => (float)q.Item3), pixels[8..]);
    }

    [Fact]
    public void Import_ImageOfTheTargetSize_StoredPixelForPixel()
    {
        var random = new Random(7);
        byte[] grey = new byte[5 * 3];
        random.NextBytes(grey);
        Write("exact/one/g.png", TestImages.GreyPng(5, 3, (x, y) => grey[(y * 5) + x]));

        DatasetRecord record = Import(FolderRequest("exact", [1, 3, 5]));

        Assert.Equal(grey.Select(v => (float)v), ReadAll(record));
    }

    [Fact]
    public void Import_WithProgress_CountsClassFoldersAsParts()
    {
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < 4; i++)
            {
                Write($"progress/c{c}/{i}.png", TestImages.SolidPng(6, 6, (byte)(c * 50), (byte)i, 0));
            }
        }

        var reports = new List<DatasetImportProgress>();
        DatasetImport.Import(_store, FolderRequest("progress", [1, 3, 3]), Open, progress: new Collect(reports), list: List);

        Assert.All(reports, r => Assert.Equal((3, 12L, "class"), (r.PartsTotal, r.InputsTotal, r.PartName)));
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.InputsDone <= p.Second.InputsDone && p.First.PartsDone <= p.Second.PartsDone));
        Assert.Equal((3, 12L), (reports[^1].PartsDone, reports[^1].InputsDone));
        Assert.Equal(reports[^1].BytesTotal, reports[^1].BytesDone);
    }

    [Theory]
    [InlineData("garbage", "is not a PNG or JPEG image")]
    [InlineData("truncated", "truncated")]
    public void Import_BadImageFile_InvalidArgumentNamingTheFileAndNothingStored(string kind, string expected)
    {
        Write("bad/a/fine.png", TestImages.SolidPng(4, 4, 1, 2, 3));
        byte[] png = TestImages.Png(32, 32, (x, y) => ((byte)x, (byte)y, (byte)(x ^ y)));
        Write("bad/b/broken.png", kind == "garbage" ? "<html>not an image</html>"u8.ToArray() : png[..(png.Length / 2)]);
        Write("bad/b/later.png", TestImages.SolidPng(4, 4, 1, 2, 3));

        var e = Assert.Throws<DeepEverestException>(() => Import(FolderRequest("bad", [1, 4, 4])));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("image_folder 'bad/b/broken.png'", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        AssertNoTrace();
    }

    [Theory]
    [InlineData("file")]
    [InlineData("class")]
    [InlineData("folder")]
    public void Import_SymbolicLinkOutOfTheDataRoot_RefusedBeforeAnythingIsStored(string what)
    {
        File.WriteAllBytes(Path.Combine(_outside, "secret.png"), TestImages.SolidPng(4, 4, 9, 9, 9));
        Directory.CreateDirectory(Path.Combine(_outside, "cls"));
        File.WriteAllBytes(Path.Combine(_outside, "cls", "s.png"), TestImages.SolidPng(4, 4, 9, 9, 9));
        Write("escape/a/fine.png", TestImages.SolidPng(4, 4, 1, 2, 3));
        string folder = "escape";
        switch (what)
        {
            case "file":
                File.CreateSymbolicLink(Path.Combine(_root, "escape", "a", "evil.png"), Path.Combine(_outside, "secret.png"));
                break;
            case "class":
                Directory.CreateSymbolicLink(Path.Combine(_root, "escape", "b"), Path.Combine(_outside, "cls"));
                break;
            default:
                Directory.CreateSymbolicLink(Path.Combine(_root, "linked"), "../" + Path.GetFileName(_outside));
                folder = "linked";
                break;
        }

        var e = Assert.Throws<DeepEverestException>(() => Import(FolderRequest(folder, [1, 4, 4])));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("leads outside the data root", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_outside, e.Message, StringComparison.Ordinal);
        AssertNoTrace();
    }

    [Fact]
    public void Import_LinksThatStayInside_Followed()
    {
        Write("shared/x.png", TestImages.SolidPng(4, 4, 40, 40, 40));
        Directory.CreateDirectory(Path.Combine(_root, "inside", "a"));
        File.CreateSymbolicLink(Path.Combine(_root, "inside", "a", "x.png"), "../../shared/x.png");
        Directory.CreateSymbolicLink(Path.Combine(_root, "inside", "b"), Path.Combine(_root, "shared"));

        DatasetRecord record = Import(FolderRequest(Path.Combine(_root, "inside"), [1, 2, 2]));

        Assert.Equal([0, 1], _store.GetLabels("inside")!);
        Assert.All(ReadAll(record), v => Assert.Equal(40, v));
    }

    [Theory]
    [InlineData("empty", "holds no class folder; put the images in one subfolder per class")]
    [InlineData("flat", "holds no class folder")]
    [InlineData("emptyclass", "the class folder 'emptyclass/b' holds no .png, .jpg or .jpeg file")]
    [InlineData("text", "'text/a/notes.txt' is not a .png, .jpg or .jpeg file")]
    [InlineData("nested", "'nested/a/deeper' is a nested folder")]
    public void Import_FolderWithoutUsableClasses_InvalidArgumentSayingWhatToFix(string folder, string expected)
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        Write("flat/x.png", TestImages.SolidPng(4, 4, 1, 2, 3));
        Write("emptyclass/a/x.png", TestImages.SolidPng(4, 4, 1, 2, 3));
        Directory.CreateDirectory(Path.Combine(_root, "emptyclass", "b"));
        Write("text/a/x.png", TestImages.SolidPng(4, 4, 1, 2, 3));
        Write("text/a/notes.txt", "hello"u8.ToArray());
        Write("nested/a/deeper/x.png", TestImages.SolidPng(4, 4, 1, 2, 3));

        var e = Assert.Throws<DeepEverestException>(() => Import(FolderRequest(folder, [1, 4, 4])));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        AssertNoTrace();
    }

    [Fact]
    public void Import_BadRequests_RefusedWithTheFieldAtFault()
    {
        Write("ok/a/x.png", TestImages.SolidPng(4, 4, 1, 2, 3));

        Assert.Contains("does not fit image_folder", Refused(FolderRequest("ok", [4, 4])));
        Assert.Contains("does not fit image_folder", Refused(FolderRequest("ok", [2, 4, 4])));
        Assert.Contains("does not fit image_folder", Refused(FolderRequest("ok", [])));
        Assert.Contains("label_names cannot be given with image_folder", Refused(FolderRequest("ok", [1, 4, 4]) with { LabelNames = new Dictionary<int, string> { [0] = "a" } }));
        Assert.Contains("not both", Refused(FolderRequest("ok", [1, 4, 4]) with { Parts = [new DatasetPartPaths("x.npy", null)] }));
        Assert.Contains("'ok/a/x.png' is not a folder", Refused(FolderRequest("ok/a/x.png", [1, 4, 4])));
        var missing = Assert.Throws<DeepEverestException>(() => Import(FolderRequest("nowhere", [1, 4, 4])));
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
        AssertNoTrace();
    }

    private string Refused(DatasetImportRequest request)
    {
        var e = Assert.Throws<DeepEverestException>(() => Import(request));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        return e.Message;
    }

    private static DatasetImportRequest FolderRequest(string folder, long[] shape) =>
        new(Path.GetFileName(folder.TrimEnd('/')).Replace('/', '-'), [], InputPreprocessing.None, shape, Replace: false, ImageFolder: folder);

    private DatasetRecord Import(DatasetImportRequest request) => DatasetImport.Import(_store, request, Open, list: List);

    private float[] ReadAll(DatasetRecord record)
    {
        int elements = (int)record.InputShape.Aggregate(1L, (a, b) => a * b);
        var values = new float[record.Count * elements];
        _store.ReadInputs(record, [.. Enumerable.Range(0, (int)record.Count)], values);
        return values;
    }

    private DataFile Open(string path, string field) => DataRoot.OpenRead(_root, path, field);

    private IReadOnlyList<FolderEntry> List(string path, string field) => DataRoot.ListFolder(_root, path, field);

    private void Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private void AssertNoTrace()
    {
        Assert.Empty(_store.ListDatasets());
        Assert.Empty(_store.ListPending());
        Assert.Equal(0, _store.CountInputRows());
    }

    private sealed class Collect(List<DatasetImportProgress> reports) : IProgress<DatasetImportProgress>
    {
        public void Report(DatasetImportProgress value) => reports.Add(value);
    }
}
