using DeepEverest.Core;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Models;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepEverest.Bench;

/// <summary>
/// The ResNet18 benchmark's data: the ImageNet ResNet18 of the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (restored by the build, never committed), and
/// Fashion-MNIST images resized to 3x224x224 the way a user would feed them to it.
/// </summary>
/// <remarks>
/// The model (CNTK-exported, opset 8, batch of 1, input <c>Input247</c>) expects BGR pixels in
/// 0..255 minus a per-pixel mean image; the package ships that step as <c>ResNetPreprocess.onnx</c>
/// (split RGB, concatenate as BGR, subtract the mean). A grey image has B = G = R, so its model
/// input is the pixel minus the mean image's value at (channel, row, column). The mean image is
/// read by running <c>ResNetPreprocess.onnx</c> on a black image (0 - mean), and the dataset is
/// stored as those float32 model inputs (600 KB per image): exactly what the composed
/// preprocessing would compute, since both are one float subtraction. With uint8 inputs the
/// images are stored as they come (150 KB each) and <c>ResNetPreprocess.onnx</c> is composed in
/// front of the model at registration, as a user would do it.
/// </remarks>
internal static class ResNetData
{
    /// <summary>Name of the registered model.</summary>
    public const string Model = "resnet18";

    /// <summary>Name of the imported dataset.</summary>
    public const string Dataset = "fashion-mnist-224";

    /// <summary>Side of the model's input images.</summary>
    public const int Side = 224;

    /// <summary>Elements of one model input: 3 x 224 x 224.</summary>
    public const int Elements = 3 * Side * Side;

    /// <summary>The model file in the package directory.</summary>
    public static string ModelFile(string packageDirectory) => Path.Combine(packageDirectory, "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The preprocessing model in the package directory.</summary>
    public static string PreprocessFile(string packageDirectory) => Path.Combine(packageDirectory, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>
    /// Creates the base root: registers ResNet18 and imports the first <paramref name="inputs"/>
    /// Fashion-MNIST images (train then test), resized and preprocessed, with their labels.
    /// </summary>
    public static ModelRecord CreateBase(string root, string packageDirectory, string datasetDirectory, int inputs, bool uint8Inputs, IProgress<string>? progress)
    {
        string modelPath = ModelFile(packageDirectory);
        if (!File.Exists(modelPath))
        {
            throw DeepEverestException.NotFound(
                $"No ResNet18 model at {modelPath}: restore the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (`dotnet build src/Cli` does) or pass --model-path.");
        }

        // uint8: the composed preprocessing model subtracts the mean image; float32: done here.
        float[]? mean = uint8Inputs ? null : MeanImage(PreprocessFile(packageDirectory));
        using StoreWriter store = StoreWriter.OpenPrimary(root);
        ModelRecord model = ModelCatalog.Register(store, Model, File.ReadAllBytes(modelPath), replace: true,
            preprocessing: uint8Inputs ? File.ReadAllBytes(PreprocessFile(packageDirectory)) : null);
        using DatasetWriter writer = store.BeginDataset(Dataset, [3, Side, Side], uint8Inputs ? StoreLayout.ElementUInt8 : StoreLayout.ElementFloat32, 1, 0);
        int left = inputs;
        var pixels = new byte[Elements];
        var input = new float[Elements];
        var bytes = new byte[Elements * 4];
        foreach ((string images, string labels) in new[] { ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"), ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz") })
        {
            if (left == 0)
            {
                break;
            }

            RawArray raw = RawArray.Read(Path.Combine(datasetDirectory, images));
            int[] labelValues = RawArray.Read(Path.Combine(datasetDirectory, labels)).Labels ?? throw DeepEverestException.Invalid($"{labels} holds no labels.");
            int take = Math.Min(left, labelValues.Length);
            for (int i = 0; i < take; i++)
            {
                Resize(raw.Data.AsSpan(i * 784, 784), pixels);
                if (mean is null)
                {
                    writer.Append(pixels, labelValues.AsSpan(i, 1));
                }
                else
                {
                    for (int e = 0; e < Elements; e++)
                    {
                        input[e] = pixels[e] - mean[e];
                    }

                    Buffer.BlockCopy(input, 0, bytes, 0, bytes.Length);
                    writer.Append(bytes, labelValues.AsSpan(i, 1));
                }

                if ((writer.Count % 1000) == 0)
                {
                    progress?.Report($"imported {writer.Count} of {inputs} images");
                }
            }

            left -= take;
        }

        writer.Commit();
        return model;
    }

    /// <summary>
    /// A 28x28 grey image as the model's 3x224x224 pixels: resized (bilinear, pixel centres
    /// aligned, rounded to 0..255 like a stored uint8 image) and repeated in the three channels.
    /// </summary>
    public static void Resize(ReadOnlySpan<byte> image, Span<byte> pixels)
    {
        const int Source = 28;
        const double Scale = (double)Source / Side;
        for (int y = 0; y < Side; y++)
        {
            double sy = Math.Clamp(((y + 0.5) * Scale) - 0.5, 0, Source - 1);
            int y0 = (int)sy;
            int y1 = Math.Min(y0 + 1, Source - 1);
            double fy = sy - y0;
            for (int x = 0; x < Side; x++)
            {
                double sx = Math.Clamp(((x + 0.5) * Scale) - 0.5, 0, Source - 1);
                int x0 = (int)sx;
                int x1 = Math.Min(x0 + 1, Source - 1);
                double fx = sx - x0;
                double top = (image[(y0 * Source) + x0] * (1 - fx)) + (image[(y0 * Source) + x1] * fx);
                double bottom = (image[(y1 * Source) + x0] * (1 - fx)) + (image[(y1 * Source) + x1] * fx);
                byte pixel = (byte)Math.Round((top * (1 - fy)) + (bottom * fy));
                for (int c = 0; c < 3; c++)
                {
                    pixels[(((c * Side) + y) * Side) + x] = pixel;
                }
            }
        }
    }

    /// <summary>The per-pixel mean image (3 x 224 x 224, BGR order) of the package's preprocessing model.</summary>
    public static float[] MeanImage(string preprocessPath)
    {
        if (!File.Exists(preprocessPath))
        {
            throw DeepEverestException.NotFound($"No ResNetPreprocess.onnx at {preprocessPath}.");
        }

        using var session = new InferenceSession(preprocessPath);
        string name = session.InputMetadata.Keys.Single();
        int[] dims = session.InputMetadata[name].Dimensions;
        int[] shape = dims.Length == 4 ? [1, 3, Side, Side] : [3, Side, Side];
        var zeros = new DenseTensor<float>(new float[Elements], shape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> outputs = session.Run([NamedOnnxValue.CreateFromTensor(name, zeros)]);
        float[] negated = outputs.Single(o => o.Name == "PreprocessedInput").AsEnumerable<float>().ToArray();
        return negated.Select(v => -v).ToArray();
    }
}
