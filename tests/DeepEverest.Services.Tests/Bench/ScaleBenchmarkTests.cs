using DeepEverest.Bench.Scale;
using DeepEverest.Core.Datasets;
using DeepEverest.Services.Tests.Infrastructure;

namespace DeepEverest.Services.Tests.Bench;

/// <summary>
/// <c>deepeverest bench scale</c>: its augmented dataset is what the report says it is, and a tiny
/// run checks every answer (one store and two shards) against the brute-force reference.
/// </summary>
public sealed class ScaleBenchmarkTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Augment_ShiftsAndMirrorsWithBackgroundFill()
    {
        var image = new byte[ScaleData.Pixels];
        for (int i = 0; i < image.Length; i++)
        {
            image[i] = (byte)(1 + (i % 250));
        }

        var shifted = new byte[ScaleData.Pixels];
        for (int copy = 0; copy < 2 * ScaleData.Shifts.Length; copy++)
        {
            ScaleData.Augment(image, copy, shifted);
            (int dx, int dy) = ScaleData.Shifts[copy / 2];
            for (int y = 0; y < ScaleData.Side; y++)
            {
                for (int x = 0; x < ScaleData.Side; x++)
                {
                    int sx = x - dx;
                    int sy = y - dy;
                    bool inside = sx is >= 0 and < ScaleData.Side && sy is >= 0 and < ScaleData.Side;
                    int column = copy % 2 == 1 ? ScaleData.Side - 1 - sx : sx;
                    byte expected = inside ? image[(sy * ScaleData.Side) + column] : (byte)0;
                    Assert.Equal(expected, shifted[(y * ScaleData.Side) + x]);
                }
            }
        }

        Assert.Equal("mirrored, shift (+2, 0)", ScaleData.Describe(3));
        Assert.Equal(1_260_000, ScaleData.MaxInputs);
    }

    [Fact]
    public void Write_PastTheSource_RepeatsItUnderTheNextAugmentation()
    {
        string directory = Directory.CreateTempSubdirectory("scale-data-").FullName;
        try
        {
            DatasetPartPaths paths = ScaleData.Write(directory, FashionMnist, ScaleData.SourceImages + 2);

            RawArray images = RawArray.Read(paths.InputsPath);
            int[] labels = RawArray.Read(paths.LabelsPath!).Labels!;
            Assert.Equal(ScaleData.SourceImages + 2, labels.Length);
            var mirrored = new byte[ScaleData.Pixels];
            for (int i = 0; i < 2; i++)
            {
                ReadOnlySpan<byte> source = images.Data.AsSpan(i * ScaleData.Pixels, ScaleData.Pixels);
                ScaleData.Augment(source, 1, mirrored);
                Assert.Equal(mirrored, images.Data.AsSpan((ScaleData.SourceImages + i) * ScaleData.Pixels, ScaleData.Pixels).ToArray());
                Assert.NotEqual(source.ToArray(), mirrored);
                Assert.Equal(labels[i], labels[ScaleData.SourceImages + i]);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Run_TinySizesAndTwoShards_EveryAnswerExact()
    {
        string root = Path.Combine(Path.GetTempPath(), $"scale-bench-{Guid.NewGuid():N}");
        var options = ScaleBenchmarkOptions.Quick with
        {
            Sizes = [300, 600],
            Shards = 2,
            Targets = 1,
            Layers = [("middle", "/block3/block3.2/Relu_output_0")],
            ModelPath = Path.Combine(TestData.RepoRoot, "models", "demo", "fashion_vgg.onnx"),
            DataRoot = root,
        };

        ScaleBenchmarkResults results = ScaleBenchmark.Run(options, null, CancellationToken.None);

        Assert.Empty(results.Mismatches);
        Assert.False(Directory.Exists(root));
        Assert.Equal([(300, -1), (600, -1), (600, 0), (600, 1)], results.Builds.Select(b => (b.Inputs, b.Shard)));
        Assert.Equal([300, 600, 300, 300], results.Builds.Select(b => b.ShardInputs));
        Assert.All(results.Builds, b => Assert.True(b.Index.WallMs > 0 && b.Index.IndexBytes > 0 && b.PeakRssMib > 0));
        Assert.All(results.Builds.Where(b => b.Shard < 0), b => Assert.True(b.PassMs > 0));
        // 1 target x 2 types x (top-3, top-10, random-10), plus one ReprocessAll, per size.
        Assert.Equal(2 * 7, results.Queries.Count);
        Assert.All(results.Queries, q => Assert.True(q.Query.Exact));
        Assert.All(results.Queries.Where(q => q.Query.Strategy == "bounds"), q => Assert.True(q.Query.Inferred >= q.Query.Oracle));
        Assert.All(results.Queries.Where(q => q.Query.Strategy == "reprocess"), q => Assert.Equal(q.Inputs - 1, q.Query.Inferred));
        string report = ScaleReport.Render(results, "results.json");
        Assert.Contains("| 600 | middle | 2 |", report, StringComparison.Ordinal);
    }
}
