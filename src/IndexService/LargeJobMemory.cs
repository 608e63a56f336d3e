namespace DeepEverest.IndexService;

/// <summary>
/// Hands the memory of a finished build or import back to the operating system. Such a job
/// allocates up to its memory budget (the activation matrix: 2 GiB by default) and then leaves it
/// all as garbage; an idle service allocates nothing, so no collection would run and its RSS would
/// stay at the job's peak until the next job. One blocking collection per job (tens of ms) returns
/// it at once.
/// </summary>
internal static class LargeJobMemory
{
    /// <summary>Collects every generation, compacts, and decommits what is free.</summary>
    public static void Release() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
