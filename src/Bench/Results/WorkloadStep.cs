namespace DeepEverest.Bench.Results;

/// <summary>One query of the simulated interpretation session (the same script for every system).</summary>
/// <param name="Step">0-based position in the session.</param>
/// <param name="Layer">Layer role.</param>
/// <param name="Type">similar or highest.</param>
/// <param name="Target">Target input id.</param>
/// <param name="GroupSize">m of the group "the target's top-m neurons".</param>
/// <param name="Origin">How the target was picked: misclassified, random, pivot (a result of the previous query) or same.</param>
public sealed record WorkloadStep(int Step, string Layer, string Type, int Target, int GroupSize, string Origin);
