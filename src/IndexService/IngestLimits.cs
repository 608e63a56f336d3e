using Microsoft.Extensions.Options;

namespace DeepEverest.IndexService;

/// <summary>The concurrency limits of uploads and imports (one instance per service).</summary>
internal sealed class IngestLimits(IOptions<IndexServiceOptions> options) : IDisposable
{
    /// <summary>UploadModel calls in progress (DeepEverest:MaxConcurrentUploads).</summary>
    public ConcurrencyLimit Uploads { get; } = new(options.Value.MaxConcurrentUploads, "uploads are", "DeepEverest:MaxConcurrentUploads");

    /// <summary>Dataset imports in progress (DeepEverest:MaxConcurrentImports).</summary>
    public ConcurrencyLimit Imports { get; } = new(options.Value.MaxConcurrentImports, "dataset imports are", "DeepEverest:MaxConcurrentImports");

    /// <inheritdoc />
    public void Dispose()
    {
        Uploads.Dispose();
        Imports.Dispose();
    }
}
