namespace DeepEverest.ChartDocs;

/// <summary>One documented value of a chart's values.yaml: a row of the README's values table.</summary>
/// <param name="Key">Dotted path of the value, e.g. <c>queryService.ports.grpc</c>.</param>
/// <param name="Type">YAML type of its default: string, int, number, bool, null, list or object.</param>
/// <param name="Default">Its default, as compact JSON.</param>
/// <param name="Description">The text of its <c># --</c> comment, lines joined.</param>
internal sealed record ChartValue(string Key, string Type, string Default, string Description);
