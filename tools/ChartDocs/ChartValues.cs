namespace DeepEverest.ChartDocs;

/// <summary>
/// What <see cref="ChartValuesReader"/> found in a values.yaml: the documented values in file
/// order, and the problems that keep the table from being complete (values without a comment).
/// </summary>
/// <param name="Values">Documented values, in file order.</param>
/// <param name="Problems">Human-readable problems; empty when every value is documented once.</param>
internal sealed record ChartValues(IReadOnlyList<ChartValue> Values, IReadOnlyList<string> Problems);
