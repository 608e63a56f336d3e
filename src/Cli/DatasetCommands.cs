using System.CommandLine;
using DeepEverest.Contracts.V1;
using Grpc.Core;
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

    /// <summary>Label names from a text file: line i (from 0) names label i; blank lines name nothing.</summary>
    private static Dictionary<int, string> ReadLabelNames(FileInfo file)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read --label-names {file.Name}: {e.Message}");
        }

        var names = new Dictionary<int, string>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length > 0)
            {
                names[i] = line;
            }
        }

        return names;
    }

    private static Command CreateImport(GlobalOptions globals)
    {
        var name = new Option<string>("--name") { Description = "Dataset name: 1-64 of A-Z a-z 0-9 . _ -", Required = true };
        var inputs = new Option<string[]>("--inputs")
        {
            Description = "Inputs file (idx, idx.gz or .npy) under the service's data root; repeat for more parts, concatenated in order.",
        };
        var imageFolder = new Option<string>("--image-folder")
        {
            Description = "Instead of --inputs: a folder under the service's data root with one subfolder of PNG/JPEG images per class (torchvision's ImageFolder); classes sorted by name are the labels and label names. Needs --input-shape C,H,W (C = 1 grey or 3 RGB): images are resized to H x W.",
        };
        var labels = new Option<string[]>("--labels")
        {
            Description = "Labels file of the preceding --inputs (idx1 or 1-D .npy); give one per --inputs or none.",
        };
        var scale = new Option<float>("--scale")
        {
            Description = "Preprocessing: model input = (stored * scale + shift - mean[c]) / std[c]. A number or a fraction, e.g. 1/255.",
            DefaultValueFactory = _ => 1,
            CustomParser = ValueParsers.Fraction,
        };
        var shift = new Option<float>("--shift")
        {
            Description = "Preprocessing offset added after scaling.",
            CustomParser = ValueParsers.Fraction,
        };
        var mean = new Option<float[]>("--mean")
        {
            Description = "Preprocessing: per-channel mean subtracted after scale and shift, e.g. 0.485,0.456,0.406 (channel = first axis of the input shape).",
            CustomParser = ValueParsers.FloatList,
        };
        var std = new Option<float[]>("--std")
        {
            Description = "Preprocessing: per-channel standard deviation divided by last, e.g. 0.229,0.224,0.225.",
            CustomParser = ValueParsers.FloatList,
        };
        var inputShape = new Option<long[]>("--input-shape")
        {
            Description = "Shape of one input as the model sees it, e.g. 1,28,28 (default: the file's).",
            CustomParser = ValueParsers.Shape,
        };
        var replace = new Option<bool>("--replace") { Description = "Replace a dataset of the same name (refused while indexes use it)." };
        var labelNames = new Option<FileInfo>("--label-names")
        {
            Description = "A text file on this machine naming the labels, one per line: line 1 names label 0, line 2 label 1, ...; a blank line leaves that label unnamed.",
        };
        var range = new Option<InputRange?>("--range")
        {
            HelpName = "START:END",
            Description = "Import only the global input ids START:END (end exclusive) of the parts concatenated, as an input-range shard (docs/scale-out.md).",
            CustomParser = ValueParsers.IdRange,
        };
        var shard = new Option<ShardOf?>("--shard")
        {
            HelpName = "I/N",
            Description = "Import only shard I/N (I from 0) of N near-equal input ranges, e.g. 2/4; the alternative to --range.",
            CustomParser = ValueParsers.ShardOf,
        };
        var text = new Option<string[]>("--text")
        {
            HelpName = "FILE",
            Description = "Instead of --inputs: UTF-8 text files under the service's data root, in document order; each file is one document (or one per line with --document-per-line). Items are token positions (docs/text.md). Needs --tokenizer, --vocab and --window-tokens.",
            AllowMultipleArgumentsPerToken = true,
        };
        var documentPerLine = new Option<bool>("--document-per-line") { Description = "With --text: each non-blank line of each file is one document, named <file>:<line>." };
        var tokenizer = new Option<string>("--tokenizer") { Description = "With --text: the tokenizer, e.g. bert-wordpiece (BERT WordPiece, lower-cased)." };
        var vocab = new Option<string>("--vocab") { HelpName = "PATH", Description = "With --text: the model's WordPiece vocabulary (vocab.txt) under the service's data root." };
        var windowTokens = new Option<int>("--window-tokens")
        {
            HelpName = "W",
            Description = "With --text: most tokens per window ([CLS] and [SEP] not counted), 1-510; documents are cut into windows of whole sentences where they fit, and a query runs whole windows.",
        };
        var namePattern = new Option<string>("--name-pattern")
        {
            HelpName = "REGEX",
            Description = "With --text: a .NET regular expression with named groups, matched against each document's name; each group becomes a metadata key that queries filter on (--where KEY=VALUE), e.g. '^(?<year>\\d{4})_(?<president>.+)_(?<party>[a-z]+)\\.txt$'.",
        };
        var command = new Command("import", "Import a dataset from files, a folder of images, or text files under the service's data root (progress bar).")
        {
            name, inputs, imageFolder, labels, scale, shift, mean, std, inputShape, replace, labelNames, range, shard, text, documentPerLine, tokenizer, vocab, windowTokens, namePattern,
        };
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            string[] inputFiles = parse.GetValue(inputs) ?? [];
            string[] labelFiles = parse.GetValue(labels) ?? [];
            string? folder = parse.GetValue(imageFolder);
            string[] textFiles = parse.GetValue(text) ?? [];
            int sources = (inputFiles.Length > 0 ? 1 : 0) + (string.IsNullOrEmpty(folder) ? 0 : 1) + (textFiles.Length > 0 ? 1 : 0);
            if (sources != 1)
            {
                throw new CliException("give one of --inputs (array files), --image-folder (a folder of images) or --text (text files).");
            }

            // Every part has labels or none has (the service requires it), so the i-th --labels
            // belongs to the i-th --inputs.
            if (labelFiles.Length != 0 && labelFiles.Length != inputFiles.Length)
            {
                throw new CliException($"got {inputFiles.Length} --inputs and {labelFiles.Length} --labels: give one --labels per --inputs, or none.");
            }

            if (parse.GetValue(range) is not null && parse.GetValue(shard) is not null)
            {
                throw new CliException("give --range or --shard, not both.");
            }

            var request = new ImportDatasetRequest
            {
                Name = parse.GetValue(name)!,
                Preprocessing = new Preprocessing
                {
                    Scale = parse.GetValue(scale),
                    Shift = parse.GetValue(shift),
                    Mean = { parse.GetValue(mean) ?? [] },
                    Std = { parse.GetValue(std) ?? [] },
                },
                Replace = parse.GetValue(replace),
                ImageFolder = folder ?? "",
            };
            if (textFiles.Length > 0)
            {
                // Whether the tokenizer, vocabulary and window fit is the service's to say (it
                // names the field), so nothing is checked here beyond what the flags mean.
                request.Text = new TextSource
                {
                    Paths = { textFiles },
                    DocumentPerLine = parse.GetValue(documentPerLine),
                    Tokenizer = parse.GetValue(tokenizer) ?? "",
                    VocabPath = parse.GetValue(vocab) ?? "",
                    WindowTokens = parse.GetValue(windowTokens),
                    NamePattern = parse.GetValue(namePattern) ?? "",
                };
                request.Preprocessing = null;
            }

            for (int i = 0; i < inputFiles.Length; i++)
            {
                request.Parts.Add(new DatasetPart { InputsPath = inputFiles[i], LabelsPath = labelFiles.Length > 0 ? labelFiles[i] : "" });
            }

            request.InputShape.AddRange(parse.GetValue(inputShape) ?? []);
            if (parse.GetValue(range) is { } ids)
            {
                request.InputRange = ids;
            }
            else if (parse.GetValue(shard) is { } slice)
            {
                request.Shard = slice;
            }

            if (parse.GetValue(labelNames) is { } namesFile)
            {
                request.LabelNames.Add(ReadLabelNames(namesFile));
            }

            using AsyncServerStreamingCall<ImportProgress> call = session.Index.ImportDatasetWithProgress(request, cancellationToken: cancellationToken);
            DatasetInfo dataset = await ImportProgressView.FollowAsync(session, call, cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(dataset);
                return;
            }

            if (dataset.Text is { } cut)
            {
                session.Console.Out.WriteLine(Format.Invariant(
                    $"dataset {dataset.Name}: {Format.Count(dataset.Count)} tokens in {Format.Count(cut.Windows)} windows of at most {cut.WindowTokens} tokens, {Format.Count(cut.Documents)} documents ({cut.Tokenizer}), {Format.Bytes(dataset.StoredBytes)} stored"));
                return;
            }

            session.Console.Out.WriteLine(Format.Invariant(
                $"dataset {dataset.Name}: {Format.Count(dataset.Count)} inputs of shape {Format.Shape(dataset.InputShape)} ({dataset.ElementType}), {(dataset.HasLabels ? $"{dataset.Labels.Count} distinct labels" : "no labels")}, {Format.Bytes(dataset.StoredBytes)} stored{(IsShard(dataset) ? $", ids {Ids(dataset)}" : "")}"));
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

            Table table = Tables.Create("name", "inputs", "ids", "input shape", "type", "scale", "shift", "mean / std", "labels", "stored");
            foreach (DatasetInfo d in response.Datasets)
            {
                if (d.Text is { } text)
                {
                    // Token items: the windows stand for the shape, the document metadata for labels.
                    table.AddPlainRow(
                        d.Name,
                        Format.Count(d.Count) + " tokens",
                        IsShard(d) ? Ids(d) : "all",
                        Format.Invariant($"{Format.Count(text.Windows)} windows of <= {text.WindowTokens} tokens, {Format.Count(text.Documents)} documents"),
                        $"text ({text.Tokenizer})",
                        "-",
                        "-",
                        "-",
                        text.Metadata.Count == 0 ? "-" : string.Join("; ", text.Metadata.Select(m => Format.Invariant($"{m.Key}: {m.Values.Count} values"))),
                        Format.Bytes(d.StoredBytes));
                    continue;
                }

                table.AddPlainRow(
                    d.Name,
                    Format.Count(d.Count),
                    IsShard(d) ? Ids(d) : "all",
                    Format.Shape(d.InputShape),
                    d.ElementType.ToString(),
                    Format.Invariant($"{d.Preprocessing?.Scale ?? 1:G6}"),
                    Format.Invariant($"{d.Preprocessing?.Shift ?? 0:G6}"),
                    d.Preprocessing is { Mean.Count: > 0 } or { Std.Count: > 0 }
                        ? Format.Invariant($"{string.Join(",", d.Preprocessing.Mean.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))} / {string.Join(",", d.Preprocessing.Std.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}")
                        : "-",
                    d.HasLabels ? Format.Count(d.Labels.Count) + " distinct" : "-",
                    Format.Bytes(d.StoredBytes));
            }

            session.Console.Ansi.Write(table);
        });
        return command;
    }

    /// <summary>Whether a dataset is an input-range shard (holds part of its source's ids).</summary>
    private static bool IsShard(DatasetInfo d) => d.InputRange is { } r && (r.Start != 0 || r.End != d.TotalCount);

    /// <summary>A shard's global ids, e.g. "[250, 900) of 1,200".</summary>
    private static string Ids(DatasetInfo d) => Format.Invariant($"[{d.InputRange.Start}, {d.InputRange.End}) of {Format.Count(d.TotalCount)}");
}
