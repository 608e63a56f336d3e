using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Datasets;
using DeepEverest.Core.Files;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Core.Text;
using Grpc.Core;

namespace DeepEverest.IndexService.Services;

internal sealed partial class IndexServiceImpl
{
    /// <inheritdoc />
    public override Task<DatasetInfo> ImportDataset(ImportDatasetRequest request, ServerCallContext context) =>
        ImportAsync(request, progress: null, context.CancellationToken);

    /// <inheritdoc />
    public override async Task ImportDatasetWithProgress(ImportDatasetRequest request, IServerStreamWriter<ImportProgress> responseStream, ServerCallContext context)
    {
        var relay = new ImportProgressRelay(options.Value.ProgressMessagesPerSecond);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        Task<DatasetInfo> import = ImportAsync(request, relay, cts.Token);
        _ = import.ContinueWith(_ => relay.Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        DatasetImportProgress? last = null;
        try
        {
            await foreach (DatasetImportProgress progress in relay.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(ImportProgressRelay.ToMessage(progress), cts.Token).ConfigureAwait(false);
                last = progress;
            }
        }
        catch when (!import.IsCompleted)
        {
            // The client went away: abandon the import, then report what ended the call.
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await import.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            throw;
        }

        DatasetInfo dataset = await import.ConfigureAwait(false);
        ImportProgress done = last is null ? new ImportProgress() : ImportProgressRelay.ToMessage(last);
        done.PartsDone = done.PartsTotal = last?.PartsTotal ?? request.Parts.Count;
        done.InputsDone = done.InputsTotal = dataset.Count;
        done.BytesDone = done.BytesTotal;
        done.EstimatedRemainingMs = 0;
        done.Message = "dataset imported";
        done.Dataset = dataset;
        await responseStream.WriteAsync(done, context.CancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context)
    {
        var response = new ListDatasetsResponse();
        response.Datasets.AddRange(store.ListDatasets().Select(ProtoMapping.ToInfo));
        return Task.FromResult(response);
    }

    /// <summary>
    /// Imports a dataset (rules in <see cref="DatasetImport"/>): files are checked and streamed
    /// outside the catalog gate, which is held only to commit.
    /// </summary>
    private async Task<DatasetInfo> ImportAsync(ImportDatasetRequest request, IProgress<DatasetImportProgress>? progress, CancellationToken cancellationToken)
    {
        DatasetImportRequest core = ToImportRequest(request);
        using IDisposable slot = limits.Imports.Enter();
        long maxDecompressed = options.Value.MaxDecompressedMb << 20;
        DatasetImport import = await Task.Run(
            () =>
            {
                DatasetImport prepared = DatasetImport.Prepare(store, core, OpenClientFile, ListClientFolder, maxDecompressed, cancellationToken);
                try
                {
                    prepared.Run(progress, cancellationToken);
                    return prepared;
                }
                catch
                {
                    prepared.Dispose();
                    throw;
                }
            },
            CancellationToken.None).ConfigureAwait(false);
        using (import)
        {
            DatasetRecord record = await catalog.RunAsync(_ => import.Commit(), cancellationToken).ConfigureAwait(false);
            IndexServiceLog.DatasetImported(logger, record.Name, record.Count, string.Join(", ", record.InputShape));
            return ProtoMapping.ToInfo(record);
        }
    }

    /// <summary>Opens a path a client gave, confined to the data root.</summary>
    private DataFile OpenClientFile(string path, string field) => DataRoot.OpenRead(store.DataRoot, path, field);

    /// <summary>Lists a folder a client named, confined to the data root.</summary>
    private IReadOnlyList<FolderEntry> ListClientFolder(string path, string field) => DataRoot.ListFolder(store.DataRoot, path, field);

    private static DatasetImportRequest ToImportRequest(ImportDatasetRequest request)
    {
        Preprocessing pre = request.Preprocessing ?? new Preprocessing();
        var preprocessing = new InputPreprocessing(pre.Scale == 0 ? 1 : pre.Scale, pre.Shift, [.. pre.Mean], [.. pre.Std]);
        var parts = request.Parts
            .Select(p => new DatasetPartPaths(p.InputsPath, string.IsNullOrEmpty(p.LabelsPath) ? null : p.LabelsPath))
            .ToList();
        ImportSlice? slice = request.SliceCase switch
        {
            ImportDatasetRequest.SliceOneofCase.InputRange => ImportSlice.Range(request.InputRange.Start, request.InputRange.End),
            ImportDatasetRequest.SliceOneofCase.Shard => ImportSlice.Shard(request.Shard.Index, request.Shard.Count),
            _ => null,
        };
        TextImportRequest? text = request.Text is { } t
            ? new TextImportRequest([.. t.Paths], t.DocumentPerLine, t.Tokenizer, t.VocabPath, t.WindowTokens, NamePattern: t.NamePattern)
            : null;
        return new DatasetImportRequest(request.Name, parts, preprocessing, [.. request.InputShape], request.Replace, request.LabelNames, string.IsNullOrEmpty(request.ImageFolder) ? null : request.ImageFolder, slice, text);
    }
}
