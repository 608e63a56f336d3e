using DeepEverest.Core.Indexing;
using Microsoft.Extensions.Options;

namespace DeepEverest.IndexService;

/// <summary>
/// Checks <see cref="IndexServiceOptions"/> and <see cref="IndexBuildOptions"/> at start-up
/// (<c>ValidateOnStart</c>), so a bad setting stops the service before it listens instead of
/// failing the first build.
/// </summary>
internal sealed class IndexServiceOptionsValidator : IValidateOptions<IndexServiceOptions>, IValidateOptions<IndexBuildOptions>
{
    /// <summary>Largest inference batch a build accepts: bounds the batch buffers a request can ask for.</summary>
    public const int MaxBatchSize = 65536;

    /// <summary>Largest memory budget of a build, in MiB (16 TiB): far above any machine, far below overflow in bytes.</summary>
    public const long MaxMemoryBudgetMb = 1L << 24;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, IndexServiceOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataRoot))
        {
            failures.Add("DeepEverest:DataRoot must name a directory.");
        }

        if (options.MaxUploadMb is < 1 or > 4096)
        {
            failures.Add($"DeepEverest:MaxUploadMb must be in [1, 4096] MiB, got {options.MaxUploadMb}.");
        }

        if (options.MaxConcurrentUploads is < 1 or > 64)
        {
            failures.Add($"DeepEverest:MaxConcurrentUploads must be in [1, 64], got {options.MaxConcurrentUploads}.");
        }

        if (options.MaxDecompressedMb is < 1 or > 1048576)
        {
            failures.Add($"DeepEverest:MaxDecompressedMb must be in [1, 1048576] MiB, got {options.MaxDecompressedMb}.");
        }

        if (options.MaxConcurrentImports is < 1 or > 64)
        {
            failures.Add($"DeepEverest:MaxConcurrentImports must be in [1, 64], got {options.MaxConcurrentImports}.");
        }

        if (options.ProgressMessagesPerSecond is < 1 or > 1000)
        {
            failures.Add($"DeepEverest:ProgressMessagesPerSecond must be in [1, 1000], got {options.ProgressMessagesPerSecond}.");
        }

        if (!Enum.IsDefined(options.Kernels))
        {
            failures.Add($"DeepEverest:Kernels must be Auto, Cpu or Cuda, got {(int)options.Kernels}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, IndexBuildOptions options)
    {
        var failures = new List<string>();
        if (options.BatchSize is < 1 or > MaxBatchSize)
        {
            failures.Add($"DeepEverest:Index:BatchSize must be in [1, {MaxBatchSize}], got {options.BatchSize}.");
        }

        if (options.MemoryBudgetMb is < 1 or > MaxMemoryBudgetMb)
        {
            failures.Add($"DeepEverest:Index:MemoryBudgetMb must be in [1, {MaxMemoryBudgetMb}] MiB, got {options.MemoryBudgetMb}.");
        }

        if (options.InferenceThreads < 0)
        {
            failures.Add($"DeepEverest:Index:InferenceThreads must be 0 (one per core) or more, got {options.InferenceThreads}.");
        }

        if (!string.IsNullOrEmpty(options.TempDirectory) && !Directory.Exists(options.TempDirectory))
        {
            failures.Add($"DeepEverest:Index:TempDirectory '{options.TempDirectory}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
