namespace DeepEverest.Core.Indexing;

/// <summary>Phases of a build (the numbering of deepeverest.v1.BuildPhase).</summary>
public enum BuildPhase
{
    /// <summary>Waiting for another build.</summary>
    Queued = 1,

    /// <summary>Running the probe model over the dataset.</summary>
    Inference = 2,

    /// <summary>Building per-neuron structures.</summary>
    Construction = 3,

    /// <summary>Writing the publishing batch.</summary>
    Publishing = 4,

    /// <summary>Finished.</summary>
    Done = 5,
}

/// <summary>A progress report of a build or materialization.</summary>
public sealed record BuildProgressInfo(
    BuildPhase Phase,
    long InputsDone,
    long InputsTotal,
    long NeuronsDone,
    long NeuronsTotal,
    TimeSpan Elapsed,
    TimeSpan? EstimatedRemaining,
    string Message);
