using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage.Records;
using Grpc.Core;
using CorePhase = DeepEverest.Core.Indexing.BuildPhase;

namespace DeepEverest.IndexService.Services;

internal sealed partial class IndexServiceImpl
{
    /// <inheritdoc />
    public override async Task BuildIndex(BuildIndexRequest request, IServerStreamWriter<BuildProgress> responseStream, ServerCallContext context)
    {
        LayerRef layer = RequireLayerRef(request.Layer);
        CheckBatchSize(request.BatchSize);
        if (request.MemoryBudgetMb is < 0 or > IndexServiceOptionsValidator.MaxMemoryBudgetMb)
        {
            throw DeepEverestException.Invalid(
                $"memory_budget_mb = {request.MemoryBudgetMb} is out of range: give MiB in [1, {IndexServiceOptionsValidator.MaxMemoryBudgetMb}], or 0 for the service default.");
        }

        var buildRequest = new IndexBuildRequest(
            layer.Model,
            layer.Dataset,
            layer.Layer,
            Partitions: request.Partitions == 0 ? null : (int)Math.Min(request.Partitions, int.MaxValue),
            Ratio: request.HasRatio ? request.Ratio : null,
            StorageBudget: request.StorageBudget,
            BatchSize: request.BatchSize,
            MemoryBudgetMb: request.MemoryBudgetMb);

        // The checks Build starts with, done before queueing so a bad request fails at once
        // instead of after another build finishes.
        LayerProbe probe = LayerProbe.Resolve(store, layer.Model, layer.Dataset, layer.Layer);
        IndexParameters.Choose(buildRequest.Partitions, buildRequest.Ratio, buildRequest.StorageBudget, probe.Inputs);

        (IndexRecord record, long elapsedMs) = await buildQueue.RunAsync(
            BuildQueue.IndexKind,
            $"Index build of {layer.Model}/{layer.Dataset}/{layer.Layer}",
            (progress, token) =>
            {
                ReportStart(progress, probe);
                return builder.Build(buildRequest, progress, token);
            },
            message => responseStream.WriteAsync(message),
            context.CancellationToken).ConfigureAwait(false);

        bool materialized = store.GetMaterialization(record.Model, record.Dataset, record.Layer) is not null;
        await responseStream.WriteAsync(Done(record.Inputs, record.Neurons, elapsedMs, ProtoMapping.ToInfo(record, materialized), "index published")).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task MaterializeLayer(MaterializeLayerRequest request, IServerStreamWriter<BuildProgress> responseStream, ServerCallContext context)
    {
        LayerRef layer = RequireLayerRef(request.Layer);
        CheckBatchSize(request.BatchSize);
        LayerProbe probe = LayerProbe.Resolve(store, layer.Model, layer.Dataset, layer.Layer);

        (MaterializationRecord record, long elapsedMs) = await buildQueue.RunAsync(
            BuildQueue.MaterializationKind,
            $"Materialization of {layer.Model}/{layer.Dataset}/{layer.Layer}",
            (progress, token) =>
            {
                ReportStart(progress, probe);
                return builder.Materialize(layer.Model, layer.Dataset, layer.Layer, request.BatchSize, progress, token);
            },
            message => responseStream.WriteAsync(message),
            context.CancellationToken).ConfigureAwait(false);

        IndexRecord? index = store.GetIndex(record.Model, record.Dataset, record.Layer);
        IndexInfo info = index is not null ? ProtoMapping.ToInfo(index, materialized: true) : ProtoMapping.ToInfo(record, probe.Layer.Shape);
        string note = index is not null ? "layer materialized" : "layer materialized (it has no index yet)";
        await responseStream.WriteAsync(Done(record.Inputs, record.Neurons, elapsedMs, info, note)).ConfigureAwait(false);
    }

    /// <summary>
    /// A first message before the model loads (which takes a moment), so a client sees the build
    /// start and its totals at once.
    /// </summary>
    private static void ReportStart(IProgress<BuildProgressInfo> progress, LayerProbe probe) =>
        progress.Report(new BuildProgressInfo(CorePhase.Inference, 0, probe.Inputs, 0, probe.Neurons, TimeSpan.Zero, null, "loading the model"));

    private static BuildProgress Done(long inputs, long neurons, long elapsedMs, IndexInfo info, string message) => new()
    {
        Phase = Contracts.V1.BuildPhase.Done,
        InputsDone = inputs,
        InputsTotal = inputs,
        NeuronsDone = neurons,
        NeuronsTotal = neurons,
        ElapsedMs = elapsedMs,
        EstimatedRemainingMs = 0,
        Index = info,
        Message = message,
    };

    private static void CheckBatchSize(int batchSize)
    {
        if (batchSize is < 0 or > IndexServiceOptionsValidator.MaxBatchSize)
        {
            throw DeepEverestException.Invalid(
                $"batch_size = {batchSize} is out of range: give 1-{IndexServiceOptionsValidator.MaxBatchSize}, or 0 for the service default.");
        }
    }
}
