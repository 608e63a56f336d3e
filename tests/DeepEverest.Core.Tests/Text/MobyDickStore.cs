using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Models;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Tests.Onnx;
using DeepEverest.Core.Text;
using DeepEverest.Kernels;
using Microsoft.ML.OnnxRuntime;

namespace DeepEverest.Core.Tests.Text;

/// <summary>
/// A store of its own holding ArcticXs, seven chapters of Moby Dick (tests/fixtures/text) imported
/// (and the opening of chapter 1 again, for ties) as a text dataset of windows of at most 64 tokens, and an index of layer 0's MLP; plus the
/// reference: every item's activations computed window by window, each window run alone (batch
/// of one, no padding) with ONNX Runtime directly, independently of the engine.
/// </summary>
public sealed class MobyDickStore : IDisposable
{
    public const string Model = "arctic";
    public const string Dataset = "moby";
    public const string Layer = "/encoder/layer.0/intermediate/intermediate_act_fn/Mul_1_output_0";
    public const int Neurons = 1536;
    public const int WindowTokens = 64;

    /// <summary>
    /// The import's name pattern: documents get part = chapter (with chapter = its number) or
    /// part = echo (chapter empty: the group takes no part in the match).
    /// </summary>
    public const string NamePattern = @"^(?<part>chapter|echo)(?:_(?<chapter>\d+))?\.txt$";

    private readonly Lazy<float[]> _reference;

    public MobyDickStore()
    {
        Root = Path.Combine(Path.GetTempPath(), "deepeverest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = StoreWriter.OpenPrimary(Root);
        Kernels = KernelSelector.Create(new KernelOptions { Backend = KernelBackend.Cpu });
        ModelCatalog.Register(Store, Model, File.ReadAllBytes(TextModels.ModelPath(TextModels.ArcticXs)), replace: false);
        // The opening of chapter 1 again, as a last document: its first window repeats chapter 1's
        // first window token for token, so their items tie (equal activations; ties go by item id).
        string echo = Path.Combine(Root, "echo.txt");
        File.WriteAllLines(echo, File.ReadLines(Chapters[0]).Take(3));
        Record = DatasetImport.Import(Store, Request(Dataset, [.. Chapters, echo], namePattern: NamePattern), OpenTrusted);
        Index = new IndexBuilder(Store, Kernels, new IndexBuildOptions()).Build(new IndexBuildRequest(Model, Dataset, Layer, 16, 0.02), null, CancellationToken.None);
        _reference = new(ComputeReference);
    }

    /// <summary>The chapters in book order.</summary>
    public static string[] Chapters { get; } =
        [.. Directory.GetFiles(FixtureDir, "chapter_*.txt").OrderBy(p => int.Parse(Path.GetFileNameWithoutExtension(p)["chapter_".Length..], System.Globalization.CultureInfo.InvariantCulture))];

    public static string FixtureDir => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "text", "moby-dick");

    public static string VocabPath => Path.Combine(Path.GetDirectoryName(TextModels.ModelPath(TextModels.ArcticXs))!, "vocab.txt");

    public string Root { get; }

    public StoreWriter Store { get; }

    public IKernels Kernels { get; }

    public DatasetRecord Record { get; }

    public IndexRecord Index { get; }

    public int Items => (int)Record.Count;

    /// <summary>Items x <see cref="Neurons"/> reference activations, row-major.</summary>
    public float[] Reference => _reference.Value;

    /// <summary>A text import of <paramref name="paths"/> with the ArcticXs vocabulary.</summary>
    public static DatasetImportRequest Request(string name, IReadOnlyList<string> paths, bool perLine = false, int windowTokens = WindowTokens, string tokenizer = WordPieceTokenizer.BertWordPiece, string? vocab = null, string? namePattern = null) =>
        new(name, [], InputPreprocessing.None, [], Replace: false, Text: new TextImportRequest(paths, perLine, tokenizer, vocab ?? VocabPath, windowTokens, NamePattern: namePattern));

    public static DataFile OpenTrusted(string path, string field) => DataFile.OpenTrusted(path, field);

    /// <summary>Runs one window alone through the probe: its real tokens' rows.</summary>
    public static float[] RunAlone(InferenceSession session, IReadOnlyList<long> tokens, long cls, long sep)
    {
        int length = tokens.Count + 2;
        long[] ids = [cls, .. tokens, sep];
        using var inputIds = OrtValue.CreateTensorValueFromMemory(ids, [1, length]);
        using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, length).ToArray(), [1, length]);
        using var types = OrtValue.CreateTensorValueFromMemory(new long[length], [1, length]);
        var byName = new Dictionary<string, OrtValue> { ["input_ids"] = inputIds, ["attention_mask"] = mask, ["token_type_ids"] = types };
        string[] names = [.. session.InputMetadata.Keys];
        using var outputs = session.Run(new RunOptions(), names, [.. names.Select(n => byName[n])], [session.OutputMetadata.Keys.Single()]);
        return outputs[0].GetTensorDataAsSpan<float>()[Neurons..^Neurons].ToArray();
    }

    /// <summary>The probe of <see cref="Layer"/> as the engine cuts it, in a session of ONNX Runtime's full optimisation.</summary>
    public static InferenceSession ProbeSession()
    {
        OnnxModelFile model = TextModels.Load(TextModels.ArcticXs);
        byte[] probe = ProbeModelBuilder.Build(model, ModelInspector.ListLayers(model).Single(l => l.Name == Layer));
        return new InferenceSession(probe, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 });
    }

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    private float[] ComputeReference()
    {
        using InferenceSession session = ProbeSession();
        var rows = new float[(long)Items * Neurons];
        TextDatasetInfo text = Record.Text;
        for (int w = 0; w < text.Windows; w++)
        {
            TextWindowRow window = Store.ReadTextWindows(Record, [w])[0];
            RunAlone(session, window.TokenIds, text.ClsId, text.SepId).CopyTo(rows.AsSpan((int)(window.FirstItem * Neurons)));
        }

        return rows;
    }
}

[CollectionDefinition(Name)]
public sealed class MobyDickCollection : ICollectionFixture<MobyDickStore>
{
    public const string Name = "moby-dick";
}
