using System.CommandLine;
using DeepEverest.Contracts.V1;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>The <c>datasets</c> command group: import, list.</summary>
internal static class DatasetCommands
{
    /// <summary>Creates <c>datasets import | list</c>.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var datasets = new Command("datasets", "Import and list datasets.");
        datasets.Subcommands.Add(CreateImport(globals));
        datasets.Subcommands.Add(CreateList(globals));
        return datasets;
    }

    private static Command CreateImport(GlobalOptions globals)
    {
        var name = new Option<string>("--name") { Description = "Dataset name: 1-64 of A-Z a-z 0-9 . _ -", Required = true };
        var inputs = new Option<string[]>("--inputs")
        {
            Description = "Inputs file (idx, idx.gz or .npy) under the service's data root; repeat for more parts, concatenated in order.",
            Required = true,
        };
        var labels = new Option<string[]>("--labels")
        {
            Description = "Labels file of the preceding --inputs (idx1 or 1-D .npy); give one per --inputs or none.",
        };
        var scale = new Option<float>("--scale")
        {
            Description = "Preprocessing: model input = stored * scale + shift. A number or a fraction, e.g. 1/255.",
            DefaultValueFactory = _ => 1,
            CustomParser = ValueParsers.Fraction,
        };
        var shift = new Option<float>("--shift")
        {
            Description = "Preprocessing offset added after scaling.",
            CustomParser = ValueParsers.Fraction,
        };
        var inputShape = new Option<long[]>("--input-shape")
        {
            Description = "Shape of one input as the model sees it, e.g. 1,28,28 (default: the file's).",
            CustomParser = ValueParsers.Shape,
        };
        var replace = new Option<bool>("--replace") { Description = "Replace a dataset of the same name (refused while indexes use it)." };
        var command = new Command("import", "Import a dataset from files under the service's data root.")
        {
            name, inputs, labels, scale, shift, inputShape, replace,
        };
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            string[] inputFiles = parse.GetValue(inputs) ?? [];
            string[] labelFiles = parse.GetValue(labels) ?? [];

            // Every part has labels or none has (the service requires it), so the i-th --labels
            // belongs to the i-th --inputs.
            if (labelFiles.Length != 0 && labelFiles.Length != inputFiles.Length)
            {
                throw new CliException($"got {inputFiles.Length} --inputs and {labelFiles.Length} --labels: give one --labels per --inputs, or none.");
            }

            var request = new ImportDatasetRequest
            {
                Name = parse.GetValue(name)!,
                Preprocessing = new Preprocessing { Scale = parse.GetValue(scale), Shift = parse.GetValue(shift) },
                Replace = parse.GetValue(replace),
            };
            for (int i = 0; i < inputFiles.Length; i++)
            {
                request.Parts.Add(new DatasetPart { InputsPath = inputFiles[i], LabelsPath = labelFiles.Length > 0 ? labelFiles[i] : "" });
            }

            request.InputShape.AddRange(parse.GetValue(inputShape) ?? []);
            DatasetInfo dataset = await session.Index.ImportDatasetAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(dataset);
                return;
            }

            session.Console.Out.WriteLine(Format.Invariant(
                $"dataset {dataset.Name}: {Format.Count(dataset.Count)} inputs of shape {Format.Shape(dataset.InputShape)} ({dataset.ElementType}), {(dataset.HasLabels ? $"{dataset.Labels.Count} distinct labels" : "no labels")}, {Format.Bytes(dataset.StoredBytes)} stored"));
        });
        return command;
    }

    private static Command CreateList(GlobalOptions globals)
    {
        var command = new Command("list", "List the imported datasets.");
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            ListDatasetsResponse response = await session.Index.ListDatasetsAsync(new ListDatasetsRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                foreach (DatasetInfo dataset in response.Datasets)
                {
                    session.WriteJson(dataset);
                }

                return;
            }

            Table table = Tables.Create("name", "inputs", "input shape", "type", "scale", "shift", "labels", "stored");
            foreach (DatasetInfo d in response.Datasets)
            {
                table.AddPlainRow(
                    d.Name,
                    Format.Count(d.Count),
                    Format.Shape(d.InputShape),
                    d.ElementType.ToString(),
                    Format.Invariant($"{d.Preprocessing?.Scale ?? 1:G6}"),
                    Format.Invariant($"{d.Preprocessing?.Shift ?? 0:G6}"),
                    d.HasLabels ? Format.Count(d.Labels.Count) + " distinct" : "-",
                    Format.Bytes(d.StoredBytes));
            }

            session.Console.Ansi.Write(table);
        });
        return command;
    }
}
