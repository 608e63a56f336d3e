using System.CommandLine;
using DeepEverest.Contracts.V1;

namespace DeepEverest.Cli;

/// <summary>
/// The <c>--model</c>, <c>--dataset</c> and <c>--layer</c> options naming one index; model and
/// dataset default to the only registered one.
/// </summary>
internal sealed class LayerRefOptions
{
    /// <summary>Model name.</summary>
    public Option<string> Model { get; } = new("--model") { Description = "Registered model name (default: the only one)." };

    /// <summary>Dataset name.</summary>
    public Option<string> Dataset { get; } = new("--dataset") { Description = "Imported dataset name (default: the only one)." };

    /// <summary>Layer name.</summary>
    public Option<string> Layer { get; } = new("--layer") { Description = "Layer (ONNX tensor) name, as listed by `deepeverest layers`.", Required = true };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Dataset);
        command.Options.Add(Layer);
    }

    /// <summary>The layer reference the command line names, with defaults filled in.</summary>
    public async Task<LayerRef> ResolveAsync(CliSession session, ParseResult parse, CancellationToken cancellationToken) => new()
    {
        Model = await session.ResolveModelAsync(parse.GetValue(Model), cancellationToken).ConfigureAwait(false),
        Dataset = await session.ResolveDatasetAsync(parse.GetValue(Dataset), cancellationToken).ConfigureAwait(false),
        Layer = parse.GetValue(Layer)!,
    };
}
