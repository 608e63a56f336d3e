using DeepEverest.Kernels;

namespace DeepEverest.IndexService;

/// <summary>
/// Settings of the IndexService, bound from the <c>DeepEverest</c> configuration section and
/// checked at start-up by <see cref="IndexServiceOptionsValidator"/>. Index build defaults
/// (<c>IndexBuildOptions</c>) bind from <c>DeepEverest:Index</c>. Every default is set here, and
/// nowhere else; <c>appsettings.json</c> only repeats them for operators.
/// </summary>
/// <remarks>
/// Adding a setting: add a documented property with its default here, a check in the validator,
/// and the same default in <c>appsettings.json</c>.
/// </remarks>
internal sealed class IndexServiceOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "DeepEverest";

    /// <summary>The configuration section of the index build defaults.</summary>
    public const string IndexSectionName = "DeepEverest:Index";

    /// <summary>
    /// Directory of everything the service owns: the RocksDB store (<c>store/</c>), registered
    /// model files (<c>models/</c>), and the files clients import from; every path in a request
    /// must resolve inside it. Relative paths are relative to the working directory. Created if
    /// missing. Default <c>./data</c>.
    /// </summary>
    public string DataRoot { get; set; } = "./data";

    /// <summary>
    /// Kernel backend used by builds (<c>DeepEverest:Kernels</c> = Auto, Cpu or Cuda; the same
    /// setting as the QueryService's). Default Auto: CUDA when a device is present, SIMD on the
    /// CPU otherwise.
    /// </summary>
    public KernelBackend Kernels { get; set; } = KernelBackend.Auto;

    /// <summary>
    /// Largest upload <c>UploadModel</c> accepts (model and preprocessing model together), in MiB
    /// (1-4096); larger uploads fail with RESOURCE_EXHAUSTED. Uploads are streamed to a temporary
    /// file under the data root (<c>uploads/</c>), not held in memory. Default 512.
    /// </summary>
    public int MaxUploadMb { get; set; } = 512;

    /// <summary>
    /// Most <c>UploadModel</c> calls in progress at once (1-64); one more fails at once with
    /// RESOURCE_EXHAUSTED. Default 2.
    /// </summary>
    public int MaxConcurrentUploads { get; set; } = 2;

    /// <summary>
    /// Most bytes one gzip-compressed dataset file may inflate to, in MiB (1-1048576): a file whose
    /// header declares more is refused with RESOURCE_EXHAUSTED before it is inflated, and no file
    /// inflates beyond what its header declares. Default 16384 (16 GiB).
    /// </summary>
    public long MaxDecompressedMb { get; set; } = 16384;

    /// <summary>
    /// Most dataset imports in progress at once (1-64); one more fails at once with
    /// RESOURCE_EXHAUSTED. Each holds about 4 MiB plus 4 bytes per input of one part. Default 2.
    /// </summary>
    public int MaxConcurrentImports { get; set; } = 2;

    /// <summary>
    /// Most progress messages per second one build stream sends (1-1000); phase changes and the
    /// last message are always sent. Default 10.
    /// </summary>
    public int ProgressMessagesPerSecond { get; set; } = 10;
}
