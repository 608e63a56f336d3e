using System.CommandLine;
using DeepEverest.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Spectre.Console;

namespace DeepEverest.Cli;

/// <summary>The <c>models</c> command group: add (a file under the data root), upload, list.</summary>
internal static class ModelCommands
{
    // Below gRPC's default 4 MiB message limit with room for framing.
    private const int ChunkBytes = 1 << 20;

    /// <summary>Creates <c>models add | upload | list</c>.</summary>
    public static Command Create(GlobalOptions globals)
    {
        var models = new Command("models", "Register and list ONNX models.");
        models.Subcommands.Add(CreateAdd(globals));
        models.Subcommands.Add(CreateUpload(globals));
        models.Subcommands.Add(CreateList(globals));
        return models;
    }

    private static Command CreateAdd(GlobalOptions globals)
    {
        var name = new Option<string>("--name") { Description = "Model name: 1-64 of A-Z a-z 0-9 . _ -", Required = true };
        var path = new Option<string>("--path") { Description = "Path of the .onnx file on the service's machine, under its data root.", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace a model of the same name (refused while indexes use it)." };
        var preprocessing = new Option<string>("--preprocessing")
        {
            Description = "Path of a preprocessing .onnx model under the data root, composed in front of the model (its output must be the model's input).",
        };
        var command = new Command("add", "Register a model file that lies under the service's data root.") { name, path, replace, preprocessing };
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            var request = new AddModelRequest
            {
                Name = parse.GetValue(name)!,
                Path = parse.GetValue(path)!,
                Replace = parse.GetValue(replace),
                PreprocessingPath = parse.GetValue(preprocessing) ?? "",
            };
            ModelInfo model = await session.Index.AddModelAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            PrintModel(session, model);
        });
        return command;
    }

    private static Command CreateUpload(GlobalOptions globals)
    {
        var name = new Option<string>("--name") { Description = "Model name: 1-64 of A-Z a-z 0-9 . _ -", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "Local .onnx file to upload.", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace a model of the same name (refused while indexes use it)." };
        var preprocessing = new Option<FileInfo>("--preprocessing-file")
        {
            Description = "Local preprocessing .onnx model to upload too, composed in front of the model.",
        };
        var command = new Command("upload", "Upload a local model file to the service and register it.") { name, file, replace, preprocessing };
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            FileInfo source = parse.GetValue(file)!;
            FileInfo? pre = parse.GetValue(preprocessing);
            foreach (FileInfo f in pre is null ? [source] : new[] { source, pre })
            {
                if (!f.Exists)
                {
                    throw new CliException($"no file at {f.FullName}.");
                }
            }

            using AsyncClientStreamingCall<UploadModelChunk, ModelInfo> call = session.Index.UploadModel(cancellationToken: cancellationToken);
            try
            {
                await SendChunksAsync(call.RequestStream, source, pre, parse.GetValue(name)!, parse.GetValue(replace), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // The service ended the call early (e.g. the upload limit): its status, awaited
                // below, says why; the write error does not.
            }

            PrintModel(session, await call.ResponseAsync.ConfigureAwait(false));
        });
        return command;
    }

    private static async Task SendChunksAsync(IClientStreamWriter<UploadModelChunk> requestStream, FileInfo source, FileInfo? preprocessing, string name, bool replace, CancellationToken cancellationToken)
    {
        bool first = true;
        foreach ((FileInfo file, bool isPreprocessing) in preprocessing is null ? [(source, false)] : new[] { (source, false), (preprocessing, true) })
        {
            await using FileStream stream = file.OpenRead();
            var buffer = new byte[ChunkBytes];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0 || first)
            {
                ByteString bytes = ByteString.CopyFrom(buffer, 0, read);
                var chunk = isPreprocessing ? new UploadModelChunk { PreprocessingData = bytes } : new UploadModelChunk { Data = bytes };
                if (first)
                {
                    // The name and the replace flag travel in the first chunk only.
                    chunk.Name = name;
                    chunk.Replace = replace;
                    first = false;
                }

                await requestStream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        await requestStream.CompleteAsync().ConfigureAwait(false);
    }

    private static Command CreateList(GlobalOptions globals)
    {
        var command = new Command("list", "List the registered models.");
        globals.SetAction(command, async (session, parse, cancellationToken) =>
        {
            ListModelsResponse response = await session.Index.ListModelsAsync(new ListModelsRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (session.Json)
            {
                foreach (ModelInfo model in response.Models)
                {
                    session.WriteJson(model);
                }

                return;
            }

            Table table = Tables.Create("name", "input", "input shape", "layers", "size", "sha256");
            foreach (ModelInfo model in response.Models)
            {
                table.AddPlainRow(model.Name, model.InputName, Format.Shape(model.InputShape), model.LayerCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Bytes(model.Bytes), model.Sha256[..Math.Min(12, model.Sha256.Length)]);
            }

            session.Console.Ansi.Write(table);
        });
        return command;
    }

    private static void PrintModel(CliSession session, ModelInfo model)
    {
        if (session.Json)
        {
            session.WriteJson(model);
            return;
        }

        string preprocessing = model.PreprocessingSha256.Length > 0 ? $", preprocessing model {model.PreprocessingSha256[..12]} composed in front" : "";
        session.Console.Out.WriteLine(Format.Invariant(
            $"model {model.Name}: input {Format.Inputs(model)}, {model.LayerCount} layers, {Format.Bytes(model.Bytes)}, sha256 {model.Sha256}{preprocessing}"));
    }
}
