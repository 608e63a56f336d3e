using DeepEverest.Bench.Results;

namespace DeepEverest.Bench.Text;

/// <summary>One measured query.</summary>
/// <param name="Query">The measurement (strategy bounds or reprocess); Inferred counts token items, Oracle items.</param>
/// <param name="Windows">Windows run (the target's run to learn its activations not counted).</param>
/// <param name="Tokens">Their real tokens.</param>
/// <param name="OracleWindows">The oracle minimum in windows: the distinct windows of the items any exact algorithm using this index must compute (the fewest windows that must run to prove the answer); null for ReprocessAll.</param>
/// <param name="HasTarget">Whether the query had a target (similar, top-of-target groups); a highest query of an explicit group has none.</param>
public sealed record TextQuery(QueryMeasurement Query, long Windows, long Tokens, long? OracleWindows, bool HasTarget);
