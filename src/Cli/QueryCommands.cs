using System.CommandLine;
using System.Globalization;
using DeepEverest.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>
/// <c>deepeverest query similar|highest|activations|input</c>: clients of the QueryService. Top-k
/// queries stream: a table that refines live on a terminal, a line per update otherwise, and with
/// <c>--json</c> one proto3-JSON <c>TopKUpdate</c> per line.
/// </summary>
internal static class QueryCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var query = new Command("query", "Ask the QueryService: top-k similar or highest-activation inputs, activations, inputs.");
        query.Subcommands.Add(CreateTopK(globals, similar: true));
        query.Subcommands.Add(CreateTopK(globals, similar: false));
        query.Subcommands.Add(CreateActivations(globals));
        query.Subcommands.Add(CreateInput(globals));
        return query;
    }

    private static Command CreateTopK(GlobalOptions globals, bool similar)
    {
        var command = new Command(
            similar ? "similar" : "highest",
            similar
                ? "The k inputs nearest to a target in the activation space of a neuron group. Over a text dataset each hit is shown as its token in context, e.g. '… Call me [Ishmael]. Some …'."
                : "The k inputs with the highest aggregate activation of a neuron group. Over a text dataset each hit is shown as its token in context, e.g. '… Call me [Ishmael]. Some …'.");
        var layer = new LayerRefOptions();
        layer.AddTo(command);
        var target = new Option<long?>("--target") { Description = "Target: a dataset input id." };
        var targetNpy = new Option<string>("--target-npy") { Description = "Target: a raw input in a .npy file (one input's shape), in the units --target-units names." };
        var targetUnits = new Option<string>("--target-units")
        {
            Description = "Units of --target-npy: model (float32, fed to the model as is) or stored (the dataset's stored units, e.g. uint8 pixels; the service applies the dataset's preprocessing).",
            DefaultValueFactory = _ => "model",
        };
        var targetText = new Option<string>("--target-text") { Description = "Target over a text dataset: raw text (at most the dataset's window of tokens), tokenized by the service; --target-token picks the token." };
        var targetToken = new Option<int?>("--target-token") { Description = "With --target-text: the target token's index among the text's WordPiece tokens, 0 = the first ([CLS] not counted)." };
        var group = new Option<string>("--group")
        {
            Description = "Neuron group: top:M (the target's M most activated neurons), neurons:I,J,... (flat indices), at:C.H.W;C.H.W (coordinates), rect:E,E,... (one extent per dimension: N, A:B for [A,B), A: or :B, or * for the whole dimension).",
            DefaultValueFactory = _ => "top:3",
        };
        var k = new Option<int>("--k") { Description = "Number of results (1..10000).", DefaultValueFactory = _ => 20 };
        var metric = new Option<string>(similar ? "--distance" : "--aggregate")
        {
            Description = similar ? "l2 (default), l1 or linf." : "sum (default), mean or l2.",
            DefaultValueFactory = _ => similar ? "l2" : "sum",
        };
        var weights = new Option<string>("--weights") { Description = "Comma-separated non-negative weights, one per group neuron (similar only)." };
        var includeTarget = new Option<bool>("--include-target") { Description = "Let the target input appear in its own answer." };
        var labels = new Option<string>("--labels") { Description = "Keep only inputs with these labels, e.g. 0,6." };
        var ids = new Option<string>("--ids") { Description = "Keep only these input ids, e.g. 1,5,9." };
        var idRange = new Option<string>("--id-range") { Description = "Keep only ids in [A, B), written A:B (A: for every id from A)." };
        var where = new Option<string[]>("--where") { Description = "Text datasets: keep only items of documents whose metadata KEY has one of the values, written KEY=V1,V2 (repeat for AND), e.g. --where party=d,dr." };
        var strategy = new Option<string>("--strategy") { Description = "bounds (default), nta, reprocess or materialized.", DefaultValueFactory = _ => "bounds" };
        var batch = new Option<int>("--batch-size") { Description = "Most inputs verified per inference batch (0 = service default); batches start at one input and grow to it." };
        var fixedBatches = new Option<bool>("--fixed-batches") { Description = "Verify in batches of exactly --batch-size (no adaptive sizing), for comparisons." };
        var noCache = new Option<bool>("--no-cache") { Description = "Bypass the service's activation cache (cold-cache comparisons of strategies)." };
        var allowPartial = new Option<bool>("--allow-partial") { Description = "Through a router over shards: answer from the shards that work when some fail (never exact; the missing shards are named) instead of failing." };
        var interval = new Option<int?>("--update-interval-ms") { Description = "At most one progress update per this many milliseconds (0 = every update; default: the service's, 50 ms)." };
        var timeout = new Option<int>("--timeout") { Description = "Deadline of the call in seconds (0 = none: the service's cap applies, 300 s by default; a deadline may extend a query up to the service's DeepEverest:MaxClientDeadlineSeconds, 3600 s by default)." };
        foreach (Option option in new Option[] { target, targetNpy, targetUnits, targetText, targetToken, group, k, metric, weights, labels, ids, idRange, where, strategy, batch, fixedBatches, noCache, allowPartial, interval, timeout })
        {
            command.Options.Add(option);
        }

        if (similar)
        {
            command.Options.Add(includeTarget);
        }

        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            LayerRef layerRef = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false);
            Target? targetMessage = await QueryArguments.TargetAsync(session, layerRef.Dataset, parse.GetValue(target), parse.GetValue(targetNpy), QueryArguments.StoredUnits(parse.GetValue(targetUnits)!), cancellationToken).ConfigureAwait(false);
            targetMessage = QueryArguments.TextTarget(targetMessage, parse.GetValue(targetText), parse.GetValue(targetToken));
            NeuronGroup neuronGroup = QueryArguments.Group(parse.GetValue(group)!);
            var filter = QueryArguments.Filter(parse.GetValue(labels), parse.GetValue(ids), parse.GetValue(idRange));
            filter.Documents.AddRange(QueryArguments.Documents(parse.GetValue(where)));
            var options = new QueryOptions
            {
                Strategy = QueryArguments.Strategy(parse.GetValue(strategy)!),
                BatchSize = parse.GetValue(batch),
                FixedBatches = parse.GetValue(fixedBatches),
                NoCache = parse.GetValue(noCache),
                AllowPartial = parse.GetValue(allowPartial),
            };
            if (parse.GetValue(interval) is { } ms)
            {
                options.MinUpdateIntervalMs = ms;
            }

            var client = new QueryService.QueryServiceClient(session.QueryChannel);
            DateTime? deadline = parse.GetValue(timeout) is > 0 and int seconds ? DateTime.UtcNow.AddSeconds(seconds) : null;
            AsyncServerStreamingCall<TopKUpdate> call;
            if (similar)
            {
                var request = new TopKSimilarRequest
                {
                    Layer = layerRef,
                    Target = targetMessage ?? throw new CliException("a similarity query needs --target ID, --target-npy FILE or --target-text TEXT."),
                    Group = neuronGroup,
                    K = parse.GetValue(k),
                    Distance = QueryArguments.Distance(parse.GetValue(metric)!),
                    IncludeTarget = parse.GetValue(includeTarget),
                    Filter = filter,
                    Options = options,
                };
                request.Weights.AddRange(QueryArguments.Floats(parse.GetValue(weights)));
                call = client.TopKSimilar(request, deadline: deadline, cancellationToken: cancellationToken);
            }
            else
            {
                var request = new TopKHighestRequest
                {
                    Layer = layerRef,
                    Target = targetMessage,
                    Group = neuronGroup,
                    K = parse.GetValue(k),
                    Aggregate = QueryArguments.Aggregate(parse.GetValue(metric)!),
                    Filter = filter,
                    Options = options,
                };
                call = client.TopKHighest(request, deadline: deadline, cancellationToken: cancellationToken);
            }

            // Label names only for people: JSON lines carry the numbers, as the API does.
            IReadOnlyDictionary<int, string> labelNames = session.Json ? new Dictionary<int, string>() : await session.LabelNamesAsync(layerRef.Dataset, cancellationToken).ConfigureAwait(false);
            using (call)
            {
                await TopKView.ShowAsync(session, call.ResponseStream, similar, labelNames, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command CreateActivations(GlobalOptions globals)
    {
        var command = new Command("activations", "The activations of one input at a layer, with its most activated neurons.");
        var layer = new LayerRefOptions();
        layer.AddTo(command);
        var target = new Option<long?>("--target") { Description = "A dataset input id." };
        var targetNpy = new Option<string>("--target-npy") { Description = "A raw input in a .npy file, in the units --target-units names." };
        var targetUnits = new Option<string>("--target-units")
        {
            Description = "Units of --target-npy: model (float32, fed to the model as is) or stored (the dataset's stored units; the service applies the dataset's preprocessing).",
            DefaultValueFactory = _ => "model",
        };
        var targetText = new Option<string>("--target-text") { Description = "Over a text dataset: raw text (at most the dataset's window of tokens), tokenized by the service; --target-token picks the token." };
        var targetToken = new Option<int?>("--target-token") { Description = "With --target-text: the token's index among the text's WordPiece tokens, 0 = the first ([CLS] not counted)." };
        var top = new Option<int>("--top") { Description = "How many of the most activated neurons to list.", DefaultValueFactory = _ => 10 };
        command.Options.Add(target);
        command.Options.Add(targetNpy);
        command.Options.Add(targetUnits);
        command.Options.Add(targetText);
        command.Options.Add(targetToken);
        command.Options.Add(top);
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var client = new QueryService.QueryServiceClient(session.QueryChannel);
            LayerRef layerRef = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false);
            var request = new GetActivationsRequest
            {
                Layer = layerRef,
                Target = QueryArguments.TextTarget(
                    await QueryArguments.TargetAsync(session, layerRef.Dataset, parse.GetValue(target), parse.GetValue(targetNpy), QueryArguments.StoredUnits(parse.GetValue(targetUnits)!), cancellationToken).ConfigureAwait(false),
                    parse.GetValue(targetText),
                    parse.GetValue(targetToken))
                    ?? throw new CliException("give --target ID, --target-npy FILE or --target-text TEXT."),
                TopM = parse.GetValue(top),
            };
            GetActivationsResponse response = await client.GetActivationsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(response);
                return;
            }

            Table table = Tables.Create("rank", "neuron", "coordinates", "activation");
            for (int i = 0; i < response.TopNeurons.Count; i++)
            {
                long flat = response.TopNeurons[i];
                table.AddPlainRow((i + 1).ToString(CultureInfo.InvariantCulture), flat.ToString(CultureInfo.InvariantCulture),
                    QueryArguments.Coordinates(flat, response.Shape), response.Values[(int)flat].ToString("G6", CultureInfo.InvariantCulture));
            }

            session.Console.Ansi.Write(table);
            int zeros = response.Values.Count(v => v == 0);
            session.Console.Out.WriteLine(Format.Invariant($"layer shape {Format.Shape(response.Shape)}, {response.Values.Count} neurons, {zeros} exactly zero"));
        });
        return command;
    }

    private static Command CreateInput(GlobalOptions globals)
    {
        var command = new Command("input", "One dataset input as stored, with its label (images are drawn in the terminal; a token item of a text dataset is shown in its window).");
        var dataset = new Option<string>("--dataset") { Description = "Dataset name (default: the only one)." };
        var id = new Option<long>("--id") { Description = "Input id.", Required = true };
        command.Options.Add(dataset);
        command.Options.Add(id);
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var client = new QueryService.QueryServiceClient(session.QueryChannel);
            string name = await session.ResolveDatasetAsync(parse.GetValue(dataset), cancellationToken).ConfigureAwait(false);
            GetInputResponse response = await client.GetInputAsync(new GetInputRequest { Dataset = name, InputId = parse.GetValue(id) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(response);
                return;
            }

            if (response.Text is { } text)
            {
                // A token item: its window, the token marked.
                session.Console.Out.WriteLine(Format.Invariant($"item {parse.GetValue(id)} of {name}: {TextContextView.Source(text)}"));
                if (session.Console.Ansi.Profile.Capabilities.Ansi)
                {
                    session.Console.Ansi.Write(new Markup(TextContextView.Markup(text, int.MaxValue)));
                    session.Console.Ansi.WriteLine();
                }
                else
                {
                    // Piped: one line, as the window reads, for grep and logs.
                    session.Console.Out.WriteLine(TextContextView.Plain(text, int.MaxValue));
                }

                return;
            }

            IReadOnlyDictionary<int, string> labelNames = await session.LabelNamesAsync(name, cancellationToken).ConfigureAwait(false);
            session.Console.Out.WriteLine(Format.Invariant($"input {parse.GetValue(id)} of {name}: label {CliSession.LabelText(response.Label, labelNames)}, shape {Format.Shape(response.Tensor.Shape)}"));
            // Within the terminal (a log gets at most 160 columns).
            InputPicture.Write(session.Console.Out, response.Tensor, Math.Min(session.Console.Ansi.Profile.Width, 160));
        });
        return command;
    }
}
