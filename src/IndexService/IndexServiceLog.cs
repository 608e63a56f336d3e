namespace DeepEverest.IndexService;

/// <summary>Log messages of the IndexService, with stable event ids (2000-2999).</summary>
internal static partial class IndexServiceLog
{
    [LoggerMessage(2001, LogLevel.Information, "Opened the store at {DataRoot}; removed {Abandoned} abandoned builds or imports")]
    public static partial void StoreOpened(ILogger logger, string dataRoot, int abandoned);

    [LoggerMessage(2002, LogLevel.Information, "Kernel backend: {Backend}")]
    public static partial void KernelsSelected(ILogger logger, string backend);

    [LoggerMessage(2003, LogLevel.Information, "Registered model {Model} ({Bytes} bytes, sha256 {Sha256}, {Layers} layers)")]
    public static partial void ModelRegistered(ILogger logger, string model, long bytes, string sha256, int layers);

    [LoggerMessage(2004, LogLevel.Information, "Imported dataset {Dataset}: {Count} inputs of shape [{Shape}]")]
    public static partial void DatasetImported(ILogger logger, string dataset, long count, string shape);

    [LoggerMessage(2005, LogLevel.Information, "{What} is queued behind {Ahead} other build(s)")]
    public static partial void BuildQueued(ILogger logger, string what, int ahead);

    [LoggerMessage(2006, LogLevel.Information, "{What} started")]
    public static partial void BuildStarted(ILogger logger, string what);

    [LoggerMessage(2007, LogLevel.Information, "{What} finished in {ElapsedMs} ms")]
    public static partial void BuildFinished(ILogger logger, string what, long elapsedMs);

    [LoggerMessage(2008, LogLevel.Information, "{What} was cancelled after {ElapsedMs} ms; nothing was published")]
    public static partial void BuildCancelled(ILogger logger, string what, long elapsedMs);

    [LoggerMessage(2009, LogLevel.Information, "Deleted index {Model}/{Dataset}/{Layer} ({Bytes} bytes)")]
    public static partial void IndexDeleted(ILogger logger, string model, string dataset, string layer, long bytes);

    [LoggerMessage(2011, LogLevel.Warning, "Removed {Count} staged upload files left by an earlier crash")]
    public static partial void UploadsRemoved(ILogger logger, int count);

    [LoggerMessage(2010, LogLevel.Information, "Ready: data root {DataRoot}, kernels {Backend}; {Models} models, {Datasets} datasets, {Indexes} indexes")]
    public static partial void Ready(ILogger logger, string dataRoot, string backend, int models, int datasets, int indexes);

    [LoggerMessage(2011, LogLevel.Warning, "Removed the spill files of {Count} build(s) killed mid-way, under {SpillRoot}")]
    public static partial void SpillRemoved(ILogger logger, int count, string spillRoot);

    [LoggerMessage(2012, LogLevel.Warning, "{Reason}: it is never used; delete it and build it again")]
    public static partial void StaleIndex(ILogger logger, string reason);
}
