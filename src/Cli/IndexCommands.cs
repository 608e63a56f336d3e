using System.CommandLine;
using DeepEverest.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>The <c>index</c> command group: build, materialize, list, describe, delete.</summary>
internal static class IndexCommands
{
    /// <summary>Creates <c>index build | materialize | list | describe | delete</c>.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var index = new Command("index", "Build and manage the indexes of layers.");
        index.Subcommands.Add(CreateBuild(globals));
        index.Subcommands.Add(CreateMaterialize(globals));
        index.Subcommands.Add(CreateList(globals));
        index.Subcommands.Add(CreateDescribe(globals));
        index.Subcommands.Add(CreateDelete(globals));
        return index;
    }

    private static Command CreateBuild(GlobalOptions globals)
    {
        var layer = new LayerRefOptions();
        var partitions = new Option<uint>("--partitions") { Description = "Partitions per neuron (P): a power of two in [2, 256]; default 16, or chosen from --storage-budget." };
        var ratio = new Option<double?>("--ratio") { Description = "Fraction of inputs kept exactly per neuron, in [0, 0.5]; default 0.01, or chosen from --storage-budget." };
        var budget = new Option<double>("--storage-budget") { Description = "Largest index as a fraction of full materialization, in (0, 1]; P and ratio are chosen to fit." };
        var batch = new Option<int>("--batch-size") { Description = "Inference batch size (default: the service's)." };
        var memory = new Option<long>("--memory-budget-mb") { Description = "MiB of activations held in memory before spilling to disk (default: the service's)." };
        var command = new Command("build", "Build (or rebuild) the index of one layer, showing progress.");
        layer.AddTo(command);
        command.Options.Add(partitions);
        command.Options.Add(ratio);
        command.Options.Add(budget);
        command.Options.Add(batch);
        command.Options.Add(memory);
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var request = new BuildIndexRequest
            {
                Layer = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false),
                Partitions = parse.GetValue(partitions),
                StorageBudget = parse.GetValue(budget),
                BatchSize = parse.GetValue(batch),
                MemoryBudgetMb = parse.GetValue(memory),
            };
            if (parse.GetValue(ratio) is { } r)
            {
                request.Ratio = r;
            }

            using AsyncServerStreamingCall<BuildProgress> call = session.Index.BuildIndex(request, cancellationToken: cancellationToken);
            BuildProgress done = await BuildProgressView.FollowAsync(session, call, "construction", cancellationToken).ConfigureAwait(false);
            if (!session.Json)
            {
                IndexSummary.Print(session.Console.Out, "index built", done.Index);
            }
        });
        return command;
    }

    private static Command CreateMaterialize(GlobalOptions globals)
    {
        var layer = new LayerRefOptions();
        var batch = new Option<int>("--batch-size") { Description = "Inference batch size (default: the service's)." };
        var command = new Command("materialize", "Store every activation of one layer (the PreprocessAll baseline).");
        layer.AddTo(command);
        command.Options.Add(batch);
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var request = new MaterializeLayerRequest
            {
                Layer = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false),
                BatchSize = parse.GetValue(batch),
            };
            using AsyncServerStreamingCall<BuildProgress> call = session.Index.MaterializeLayer(request, cancellationToken: cancellationToken);
            BuildProgress done = await BuildProgressView.FollowAsync(session, call, "writing", cancellationToken).ConfigureAwait(false);
            if (!session.Json)
            {
                IndexInfo info = done.Index;
                session.Console.Out.WriteLine(Format.Invariant(
                    $"materialized: {info.Layer.Model}/{info.Layer.Dataset}/{info.Layer.Layer}: {Format.Count(info.Inputs)} inputs x {Format.Count(info.Neurons)} neurons, {Format.Bytes(info.FullMaterializationBytes)} in {Format.Duration(done.ElapsedMs)}"));
            }
        });
        return command;
    }

    private static Command CreateList(GlobalOptions globals)
    {
        var model = new Option<string>("--model") { Description = "Only indexes of this model." };
        var dataset = new Option<string>("--dataset") { Description = "Only indexes over this dataset." };
        var command = new Command("list", "List the published indexes.") { model, dataset };
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var request = new ListIndexesRequest { Model = parse.GetValue(model) ?? "", Dataset = parse.GetValue(dataset) ?? "" };
            ListIndexesResponse response = await session.Index.ListIndexesAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                foreach (IndexInfo info in response.Indexes)
                {
                    session.WriteJson(info);
                }

                return;
            }

            Table table = Tables.Create("model", "dataset", "layer", "P", "ratio", "inputs", "neurons", "size", "storage", "materialized");
            foreach (IndexInfo i in response.Indexes)
            {
                table.AddPlainRow(
                    i.Layer.Model,
                    i.Layer.Dataset,
                    i.Layer.Layer,
                    Format.Invariant($"{i.Partitions}"),
                    Format.Invariant($"{i.Ratio:G4}"),
                    Format.Count(i.Inputs),
                    Format.Count(i.Neurons),
                    Format.Bytes(i.IndexBytes),
                    Format.Percent(i.StorageFraction),
                    i.Materialized ? "yes" : "no");
            }

            session.Console.Ansi.Write(table);
        });
        return command;
    }

    private static Command CreateDescribe(GlobalOptions globals)
    {
        var layer = new LayerRefOptions();
        var command = new Command("describe", "Describe the index of one layer.");
        layer.AddTo(command);
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var request = new DescribeIndexRequest { Layer = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false) };
            IndexInfo info = await session.Index.DescribeIndexAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(info);
                return;
            }

            IndexSummary.Print(session.Console.Out, "index", info);
        });
        return command;
    }

    private static Command CreateDelete(GlobalOptions globals)
    {
        var layer = new LayerRefOptions();
        var command = new Command("delete", "Delete the index of one layer.");
        layer.AddTo(command);
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            LayerRef target = await layer.ResolveAsync(session, parse, cancellationToken).ConfigureAwait(false);
            DeleteIndexResponse response = await session.Index.DeleteIndexAsync(new DeleteIndexRequest { Layer = target }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(response);
                return;
            }

            session.Console.Out.WriteLine($"deleted: {target.Model}/{target.Dataset}/{target.Layer} ({Format.Bytes(response.BytesFreed)} freed)");
        });
        return command;
    }
}
