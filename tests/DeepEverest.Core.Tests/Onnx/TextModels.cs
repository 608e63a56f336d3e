using System.Reflection;
using DeepEverest.Core.Onnx;

namespace DeepEverest.Core.Tests.Onnx;

/// <summary>
/// The text transformers build/TextModels.targets extracts from their NuGet packages at build time
/// (obj/text-models/&lt;model&gt;/model.onnx and vocab.txt), and hand tokenization from vocab.txt.
/// </summary>
internal static class TextModels
{
    /// <summary>snowflake-arctic-embed-xs: BERT, 6 layers, width 384, MLP 1536, readable tensor names.</summary>
    public const string ArcticXs = "arctic-xs";

    /// <summary>all-MiniLM-L6-v2: the same architecture, exported with numeric tensor names.</summary>
    public const string MiniLm = "minilm";

    private static readonly Lazy<string> _root = new(() =>
        typeof(TextModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TextModels").Value
        ?? throw new InvalidOperationException("the test assembly does not name the text-models folder"));

    /// <summary>Path of <paramref name="model"/>'s ONNX file.</summary>
    public static string ModelPath(string model) => Path.Combine(_root.Value, model, "model.onnx");

    /// <summary>Loads <paramref name="model"/>'s ONNX file.</summary>
    public static OnnxModelFile Load(string model) => OnnxModelFile.LoadFile(ModelPath(model));

    /// <summary>The WordPiece vocabulary of <paramref name="model"/>: token to id (its line number).</summary>
    public static Dictionary<string, long> Vocabulary(string model)
    {
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        long id = 0;
        foreach (string line in File.ReadLines(Path.Combine(_root.Value, model, "vocab.txt")))
        {
            ids.TryAdd(line, id++);
        }

        return ids;
    }

    /// <summary>
    /// Ids of <c>[CLS] tokens [SEP]</c>, each token looked up as a whole vocabulary entry (the test
    /// picks words the vocabulary holds, so no WordPiece splitting is needed).
    /// </summary>
    public static long[] Encode(Dictionary<string, long> vocabulary, params string[] tokens) =>
        [vocabulary["[CLS]"], .. tokens.Select(t => vocabulary[t]), vocabulary["[SEP]"]];
}
