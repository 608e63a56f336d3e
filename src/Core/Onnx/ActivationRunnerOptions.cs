namespace DeepEverest.Core.Onnx;

/// <summary>How an <see cref="ActivationRunner"/> runs its probe model.</summary>
public sealed class ActivationRunnerOptions
{
    /// <summary>Largest accepted <see cref="MaxBatch"/>; bounds the pinned buffers a runner holds.</summary>
    public const int MaxBatchLimit = 65536;

    /// <summary>
    /// Threads ONNX Runtime uses inside one operator. 0 (the default) lets ONNX Runtime choose (one per
    /// physical core); set 1 when several runners work in parallel, one per thread.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Most inputs sent to ONNX Runtime in one run, 1 to <see cref="MaxBatchLimit"/>; default 256. Larger
    /// batches are split. The runner keeps <c>MaxBatch x (input elements + neurons)</c> floats pinned
    /// (16.8 MB for the demo model's first ReLU at 256).
    /// </summary>
    public int MaxBatch { get; init; } = 256;

    /// <summary>Refuses out-of-range settings.</summary>
    /// <exception cref="DeepEverestException"><see cref="ErrorKind.InvalidArgument"/> for a setting out of range.</exception>
    internal void Validate()
    {
        if (IntraOpThreads < 0)
        {
            throw DeepEverestException.Invalid(
                $"IntraOpThreads must be 0 (ONNX Runtime default) or positive, was {IntraOpThreads}");
        }

        if (MaxBatch is < 1 or > MaxBatchLimit)
        {
            throw DeepEverestException.Invalid(
                $"MaxBatch must be between 1 and {MaxBatchLimit}, was {MaxBatch}; 256 suits most models");
        }
    }
}
