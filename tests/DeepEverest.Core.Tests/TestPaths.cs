namespace DeepEverest.Core.Tests;

/// <summary>Locates files of the repository and of the machine that tests read.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> _root = new(FindRepoRoot);

    /// <summary>Directory where Debian's <c>dataset-fashion-mnist</c> package puts the idx .gz files.</summary>
    public const string FashionMnistDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The repository root: $DEEPEVEREST_REPO_ROOT when set, else the nearest folder above the test
    /// binaries holding DeepEverest.sln or .git.
    /// </summary>
    public static string RepoRoot => _root.Value;

    /// <summary>The committed demo model (VGG-style CNN on Fashion-MNIST, input [batch, 1, 28, 28]).</summary>
    public static string DemoModel => Path.Combine(RepoRoot, "models", "demo", "fashion_vgg.onnx");

    /// <summary>A model under tests/fixtures/models, e.g. <c>mlp.onnx</c>.</summary>
    public static string FixtureModel(string name) => Path.Combine(RepoRoot, "tests", "fixtures", "models", name);

    private static string FindRepoRoot()
    {
        // Lets tests run from binaries copied outside the checkout.
        if (Environment.GetEnvironmentVariable("DEEPEVEREST_REPO_ROOT") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = dir.FullName;
            if (File.Exists(Path.Combine(path, "DeepEverest.sln"))
                || Directory.Exists(Path.Combine(path, ".git"))
                || File.Exists(Path.Combine(path, ".git")))
            {
                return path;
            }
        }

        throw new InvalidOperationException(
            $"no folder above {AppContext.BaseDirectory} holds DeepEverest.sln or .git; run the tests from the repository");
    }
}
