using Microsoft.Extensions.Logging;

namespace DeepEverest.Core;

/// <summary>Log messages of the core library, with stable event ids (1000-1999).</summary>
internal static partial class CoreLog
{
    [LoggerMessage(1001, LogLevel.Information, "Published index of {Model}/{Dataset}/{Layer}: P={Partitions}, ratio={Ratio}, {Fraction:P1} of full materialization, inference {InferenceMs} ms, construction {ConstructionMs} ms")]
    public static partial void IndexPublished(ILogger logger, string model, string dataset, string layer, int partitions, double ratio, double fraction, long inferenceMs, long constructionMs);

    [LoggerMessage(1002, LogLevel.Information, "Layer {Layer} does not fit the memory budget: spilling to {Blocks} blocks of {BlockNeurons} neurons")]
    public static partial void Spilling(ILogger logger, string layer, int blocks, int blockNeurons);

    [LoggerMessage(1003, LogLevel.Warning, "Removed {Count} abandoned builds or imports left by an earlier crash")]
    public static partial void AbandonedBuildsRemoved(ILogger logger, int count);

    [LoggerMessage(1004, LogLevel.Warning, "Could not remove the rows of failed build generation {Generation} now ({Reason}); the next start removes them")]
    public static partial void AbortDeferred(ILogger logger, ulong generation, string reason);
}
