using System.CommandLine;
using DeepEverest.Contracts.V1;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>The <c>layers</c> command: a model's indexable layers.</summary>
internal static class LayerCommands
{
    /// <summary>Creates <c>layers [--model M]</c>.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var model = new Option<string>("--model") { Description = "Registered model name (default: the only one)." };
        var command = new Command("layers", "List the layers of a model that can be indexed.") { model };
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            string name = await session.ResolveModelAsync(parse.GetValue(model), cancellationToken).ConfigureAwait(false);
            ListLayersResponse response = await session.Index.ListLayersAsync(new ListLayersRequest { Model = name }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                foreach (LayerInfo layer in response.Layers)
                {
                    session.WriteJson(layer);
                }

                return;
            }

            Table table = Tables.Create("#", "layer", "op", "shape", "neurons");
            foreach (LayerInfo layer in response.Layers)
            {
                table.AddPlainRow(layer.Order.ToString(System.Globalization.CultureInfo.InvariantCulture), layer.Name, layer.OpType, Format.LayerShape(layer), Format.Count(layer.Neurons));
            }

            session.Console.Ansi.Write(table);
        });
        return command;
    }
}
