namespace DeepEverest.Deploy.Tests.Infrastructure;

/// <summary>Locates the files of the repository that the deploy tests read.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> _root = new(FindRepoRoot);

    /// <summary>
    /// The repository root: $DEEPEVEREST_REPO_ROOT when set, else the nearest folder above the test
    /// binaries holding DeepEverest.sln.
    /// </summary>
    public static string Root => _root.Value;

    /// <summary>The chart folder, <c>helm/deepeverest</c>.</summary>
    public static string Chart => Path.Combine(Root, "helm", "deepeverest");

    /// <summary>The value sets CI renders, <c>helm/deepeverest/ci/*-values.yaml</c>, by file name.</summary>
    public static IEnumerable<string> CiValueFiles =>
        Directory.GetFiles(Path.Combine(Chart, "ci"), "*-values.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static string FindRepoRoot()
    {
        if (Environment.GetEnvironmentVariable("DEEPEVEREST_REPO_ROOT") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepEverest.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds DeepEverest.sln; run the tests from the repository");
    }
}
