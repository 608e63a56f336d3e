using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Files;
using DeepEverest.Core.Models;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using Grpc.Core;

namespace DeepEverest.IndexService.Services;

internal sealed partial class IndexServiceImpl
{
    /// <summary>Largest model file AddModel reads: ONNX models saved as one file are protobufs, at most 2 GiB.</summary>
    private const long MaxModelFileBytes = int.MaxValue;

    /// <inheritdoc />
    public override Task<ModelInfo> AddModel(AddModelRequest request, ServerCallContext context)
    {
        StoreLayout.ValidateName(request.Name, "model");
        DataRoot.CheckSyntax(request.Path, "path");
        bool withPreprocessing = !string.IsNullOrEmpty(request.PreprocessingPath);
        if (withPreprocessing)
        {
            DataRoot.CheckSyntax(request.PreprocessingPath, "preprocessing_path");
        }

        return catalog.RunAsync(
            cancellationToken =>
            {
                byte[] model = ReadModelFile(request.Path, "path", cancellationToken);
                byte[]? preprocessing = withPreprocessing ? ReadModelFile(request.PreprocessingPath, "preprocessing_path", cancellationToken) : null;
                return RegisterModel(request.Name, model, request.Replace, preprocessing);
            },
            context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<ModelInfo> UploadModel(IAsyncStreamReader<UploadModelChunk> requestStream, ServerCallContext context)
    {
        using IDisposable slot = limits.Uploads.Enter();
        long limit = (long)options.Value.MaxUploadMb << 20;
        string? name = null;
        bool replace = false;
        using var staged = new StagedUpload(store.DataRoot);
        CancellationToken cancellationToken = context.CancellationToken;
        await foreach (UploadModelChunk chunk in requestStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (name is null)
            {
                name = chunk.Name;
                replace = chunk.Replace;

                // Refuse a bad name before accepting megabytes under it.
                StoreLayout.ValidateName(name, "model");
            }

            if (staged.Bytes + chunk.Data.Length + chunk.PreprocessingData.Length > limit)
            {
                throw new DeepEverestException(
                    ErrorKind.ResourceExhausted,
                    $"The upload exceeds the limit of {options.Value.MaxUploadMb} MiB (DeepEverest:MaxUploadMb); "
                    + "copy the file under the data root and use AddModel, or raise the limit.");
            }

            if (!chunk.Data.IsEmpty)
            {
                await staged.WriteModelAsync(chunk.Data.Memory, cancellationToken).ConfigureAwait(false);
            }

            if (!chunk.PreprocessingData.IsEmpty)
            {
                await staged.WritePreprocessingAsync(chunk.PreprocessingData.Memory, cancellationToken).ConfigureAwait(false);
            }
        }

        if (name is null)
        {
            throw DeepEverestException.Invalid("The upload had no chunks: send the model name and its bytes.");
        }

        // Read back under the gate, so uploads waiting for it hold files, not memory.
        return await catalog.RunAsync(_ => RegisterModel(name, staged.ReadModel(), replace, staged.ReadPreprocessing()), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        response.Models.AddRange(store.ListModels().Select(ProtoMapping.ToInfo));
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<ListLayersResponse> ListLayers(ListLayersRequest request, ServerCallContext context)
    {
        ModelRecord model = store.RequireModel(CatalogDefaults.Model(store, request.Model, "model"));
        var response = new ListLayersResponse();
        response.Layers.AddRange(model.Layers.Select(ProtoMapping.ToInfo));
        return Task.FromResult(response);
    }

    /// <summary>Reads a model file a client named, confined to the data root.</summary>
    private byte[] ReadModelFile(string path, string field, CancellationToken cancellationToken)
    {
        using DataFile file = DataRoot.OpenRead(store.DataRoot, path, field);
        return file.ReadAll(MaxModelFileBytes, "an ONNX model in one file is at most 2 GiB", cancellationToken);
    }

    /// <summary>Registers a model (rules in <see cref="ModelCatalog.Register"/>). Runs under the catalog gate.</summary>
    private ModelInfo RegisterModel(string name, byte[] bytes, bool replace, byte[]? preprocessing)
    {
        ModelRecord record = ModelCatalog.Register(store, name, bytes, replace, preprocessing);
        IndexServiceLog.ModelRegistered(logger, name, record.Bytes, record.Sha256, record.Layers.Count);
        return ProtoMapping.ToInfo(record);
    }
}
