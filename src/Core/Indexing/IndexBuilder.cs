using System.Diagnostics;
using DeepEverest.Core.Onnx;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;
using DeepEverest.Kernels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DeepEverest.Core.Indexing;

/// <summary>
/// Builds the index of one layer: one inference pass over the dataset (spilling to disk in neuron
/// blocks when the activation matrix exceeds the memory budget), then per neuron block the MAI,
/// equi-depth partitions, packed codes and partition bounds, written under a fresh generation that
/// becomes visible in one final batch. Also materializes layers for the PreprocessAll baseline.
/// A build reads the model, the dataset and its inputs from one store snapshot and records the
/// versions it read; publication refuses (FailedPrecondition) if either was replaced meanwhile.
/// </summary>
public sealed partial class IndexBuilder
{
    private readonly StoreWriter _store;
    private readonly IKernels _kernels;
    private readonly IndexBuildOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a builder over the primary store.</summary>
    public IndexBuilder(StoreWriter store, IKernels kernels, IndexBuildOptions options, ILogger? logger = null)
    {
        _store = store;
        _kernels = kernels;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Where spill files go: <see cref="IndexBuildOptions.TempDirectory"/>, or <c>spill/</c> under
    /// the data root (the volume sized for the data). Each build spills into its own directory
    /// there, locked while the build runs (<see cref="RemoveAbandonedSpill"/>).
    /// </summary>
    public string SpillRoot => string.IsNullOrEmpty(_options.TempDirectory) ? Path.Combine(_store.DataRoot, "spill") : _options.TempDirectory;

    /// <summary>
    /// Removes the spill directories of builds whose process died (killed mid-build); directories
    /// of builds running in other live processes sharing the spill root are kept. Returns how
    /// many were removed. The IndexService runs it at start-up.
    /// </summary>
    public int RemoveAbandonedSpill() => OwnedDirectory.Sweep(SpillRoot, ActivationMatrix.DirectoryPrefix);

    /// <summary>Test hook: runs after inference, before construction and publication.</summary>
    internal Action<IndexBuildRequest>? AfterInference { get; set; }

    /// <summary>Builds and publishes an index; returns its record.</summary>
    public IndexRecord Build(IndexBuildRequest request, IProgress<BuildProgressInfo>? progress, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        LayerProbe probe = LayerProbe.Resolve(snapshot, request.Model, request.Dataset, request.Layer);
        IndexParameters parameters = IndexParameters.Choose(request.Partitions, request.Ratio, request.StorageBudget, probe.Inputs);
        int n = probe.Inputs;
        int neurons = probe.Neurons;
        int partitions = parameters.Partitions;
        int maiCount = parameters.MaiCount(n);
        int stride = CodeLayout.StrideBytes(n, parameters.Bits);
        RequireDiskSpace($"the index of layer '{request.Layer}' was not built", n, neurons, (long)neurons * (stride + partitions * 8L + maiCount * 8L), request.MemoryBudgetMb);
        SummaryLayout? layout = SummaryLayout.Choose(probe.Layer.Shape);
        var summaries = layout is null ? null : new SummaryAccumulator(layout, n);
        var clock = Stopwatch.StartNew();

        ulong generation = _store.BeginGeneration($"index {request.Model}/{request.Dataset}/{request.Layer}");
        bool published = false;
        try
        {
            using ActivationMatrix matrix = RunInference(snapshot, probe, request.BatchSize, request.MemoryBudgetMb, clock, progress, summaries, cancellationToken);
            long inferenceMs = clock.ElapsedMilliseconds;
            AfterInference?.Invoke(request);
            long indexBytes = 0;
            long neuronsDone = 0;
            var construction = Stopwatch.StartNew();
            var constructionRate = new ProgressRate();
            foreach ((int first, int count, float[] columns) in matrix.Blocks())
            {
                // Blocks are built in slices so progress and cancellation stay responsive.
                const int Slice = 256;
                var maiIds = new int[Slice * maiCount];
                var maiValues = new float[Slice * maiCount];
                var codes = new byte[Slice * stride];
                var partMin = new float[Slice * partitions];
                var partMax = new float[Slice * partitions];
                for (int s = 0; s < count; s += Slice)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int m = Math.Min(Slice, count - s);
                    ReadOnlySpan<float> block = columns.AsSpan((int)((long)s * n), m * n);
                    _kernels.BuildNeuronBlock(block, m, n, partitions, maiCount, maiIds, maiValues, codes, partMin, partMax);
                    indexBytes += _store.WriteIndexRows(generation, first + s, m, stride, partitions, maiCount, codes, partMin, partMax, maiIds, maiValues);
                    neuronsDone += m;
                    progress?.Report(new BuildProgressInfo(BuildPhase.Construction, n, n, neuronsDone, neurons, clock.Elapsed,
                        constructionRate.Remaining(neuronsDone, neurons), $"neuron block {first + s}..{first + s + m - 1}"));
                }
            }

            long summaryBytes = 0;
            if (summaries is not null)
            {
                for (int segment = 0; segment < summaries.Layout.Segments; segment++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    (double sumRadius, double squareRadius, float[] sums, float[] squares) = summaries.Segment(segment);
                    summaryBytes += _store.WriteSummaryRow(generation, segment, sumRadius, squareRadius, sums, squares);
                }

                indexBytes += summaryBytes;
            }

            long constructionMs = construction.ElapsedMilliseconds;
            progress?.Report(new BuildProgressInfo(BuildPhase.Publishing, n, n, neurons, neurons, clock.Elapsed, TimeSpan.Zero, "publishing"));
            cancellationToken.ThrowIfCancellationRequested();
            var record = new IndexRecord
            {
                Model = request.Model,
                Dataset = request.Dataset,
                Layer = request.Layer,
                Generation = generation,
                Partitions = (uint)partitions,
                Bits = (uint)parameters.Bits,
                Ratio = parameters.Ratio,
                MaiCount = maiCount,
                Inputs = n,
                Neurons = neurons,
                IndexBytes = indexBytes,
                InferenceMs = inferenceMs,
                ConstructionMs = constructionMs,
                BuiltAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Spilled = matrix.Spilled,
                KernelBackend = _kernels.Name,
                ModelSha256 = probe.Model.Sha256,
                ModelVersion = probe.Model.Version,
                DatasetVersion = probe.Dataset.Version,
            };
            record.LayerShape.AddRange(probe.Layer.Shape);
            if (summaries is not null)
            {
                record.Summaries = summaries.Layout.ToRecord(summaryBytes);
            }

            _store.PublishIndex(record);
            published = true;
            CoreLog.IndexPublished(_logger, request.Model, request.Dataset, request.Layer, partitions, parameters.Ratio, indexBytes / (n * 4.0 * neurons), inferenceMs, constructionMs);
            progress?.Report(new BuildProgressInfo(BuildPhase.Done, n, n, neurons, neurons, clock.Elapsed, TimeSpan.Zero, "done"));
            return record;
        }
        catch (Exception e) when (!published)
        {
            Exception failure = Abort(generation, e, $"the index of layer '{request.Layer}' was not built");
            if (failure == e)
            {
                throw;
            }

            throw failure;
        }
    }

    /// <summary>Materializes every activation of a layer, column-wise (the PreprocessAll baseline).</summary>
    public MaterializationRecord Materialize(string model, string dataset, string layer, int batchSize, IProgress<BuildProgressInfo>? progress, CancellationToken cancellationToken)
    {
        using StoreReader snapshot = _store.Snapshot();
        LayerProbe probe = LayerProbe.Resolve(snapshot, model, dataset, layer);
        RequireDiskSpace($"layer '{layer}' was not materialized", probe.Inputs, probe.Neurons, (long)probe.Inputs * probe.Neurons * 4, 0);
        var clock = Stopwatch.StartNew();
        ulong generation = _store.BeginGeneration($"materialize {model}/{dataset}/{layer}");
        bool published = false;
        try
        {
            using ActivationMatrix matrix = RunInference(snapshot, probe, batchSize, 0, clock, progress, null, cancellationToken);
            long inferenceMs = clock.ElapsedMilliseconds;
            int n = probe.Inputs;
            const int Slice = 64;
            foreach ((int first, int count, float[] columns) in matrix.Blocks())
            {
                for (int s = 0; s < count; s += Slice)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int m = Math.Min(Slice, count - s);
                    _store.WriteActivationColumns(generation, first + s, m, n, columns.AsSpan((int)((long)s * n), m * n));
                    progress?.Report(new BuildProgressInfo(BuildPhase.Construction, n, n, first + s + m, probe.Neurons, clock.Elapsed, null, "writing columns"));
                }
            }

            var record = new MaterializationRecord
            {
                Model = model,
                Dataset = dataset,
                Layer = layer,
                Generation = generation,
                Inputs = n,
                Neurons = probe.Neurons,
                Bytes = (long)n * probe.Neurons * 4,
                InferenceMs = inferenceMs,
                BuiltAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                ModelVersion = probe.Model.Version,
                DatasetVersion = probe.Dataset.Version,
            };
            _store.PublishMaterialization(record);
            published = true;
            progress?.Report(new BuildProgressInfo(BuildPhase.Done, n, n, probe.Neurons, probe.Neurons, clock.Elapsed, TimeSpan.Zero, "done"));
            return record;
        }
        catch (Exception e) when (!published)
        {
            Exception failure = Abort(generation, e, $"layer '{layer}' was not materialized");
            if (failure == e)
            {
                throw;
            }

            throw failure;
        }
    }

    /// <summary>
    /// Drops the rows of a build that failed and returns what to throw: the failure itself, or a
    /// RESOURCE_EXHAUSTED one when the disk filled up. On a full disk the cleanup itself may fail;
    /// the pending marker then stays, and the next start removes the rows.
    /// </summary>
    private Exception Abort(ulong generation, Exception error, string notDone)
    {
        try
        {
            _store.AbortGeneration(generation);
        }
        catch (Exception cleanup) when (DiskFull.Matches(cleanup) || DiskFull.Matches(error))
        {
            CoreLog.AbortDeferred(_logger, generation, cleanup.Message);
        }

        return DiskFull.Matches(error) && error is not DeepEverestException ? DiskFull.Failure(notDone, error) : error;
    }

    /// <summary>
    /// Refuses a build up front when the volumes lack the room its rows (and spill files, when the
    /// activations exceed the memory budget) will take; writes check again as they go.
    /// </summary>
    private void RequireDiskSpace(string notDone, int inputs, int neurons, long rowBytes, long memoryBudgetMb)
    {
        long activationBytes = (long)inputs * neurons * 4;
        long budget = (memoryBudgetMb > 0 ? memoryBudgetMb : _options.MemoryBudgetMb) << 20;
        DiskFull.RequireFree(notDone, (StoreReader.StorePath(_store.DataRoot), rowBytes + StoreWriter.DiskReserveBytes), (SpillRoot, activationBytes > budget ? activationBytes : 0));
    }

    private ActivationMatrix RunInference(StoreReader snapshot, LayerProbe probe, int batchSize, long memoryBudgetMb, Stopwatch clock, IProgress<BuildProgressInfo>? progress, SummaryAccumulator? summaries, CancellationToken cancellationToken)
    {
        int n = probe.Inputs;
        int neurons = probe.Neurons;
        int batch = CapBatch(batchSize > 0 ? batchSize : _options.BatchSize, StoreReader.InputElements(probe.Dataset), neurons);
        // The summaries live in memory beside the matrix, within the same budget.
        long budget = ((memoryBudgetMb > 0 ? memoryBudgetMb : _options.MemoryBudgetMb) << 20) - (summaries is null ? 0 : SummaryAccumulator.Bytes(summaries.Layout, n));
        var matrix = new ActivationMatrix(n, neurons, budget, SpillRoot);
        try
        {
            if (matrix.Spilled)
            {
                CoreLog.Spilling(_logger, probe.Layer.Name, matrix.BlockCount, matrix.BlockNeurons);
            }

            int threads = _options.InferenceThreads > 0 ? _options.InferenceThreads : Environment.ProcessorCount;
            if (probe.IsText)
            {
                InferWindows(snapshot, probe, matrix, summaries, threads, batchSize > 0 ? batchSize : _options.BatchSize, clock, progress, cancellationToken);
                return matrix;
            }

            using ActivationRunner runner = probe.CreateRunner(snapshot, threads, batch);
            int elements = StoreReader.InputElements(probe.Dataset);
            var inputs = new float[batch * elements];
            var rows = new float[(long)batch * neurons];
            string note = matrix.Spilled ? $"spilling to {matrix.BlockCount} neuron blocks" : "in memory";
            var rate = new ProgressRate();
            for (int start = 0; start < n; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batch, n - start);
                snapshot.ReadInputRange(probe.Dataset, start, count, inputs);
                runner.Run(inputs.AsSpan(0, count * elements), count, rows.AsSpan(0, count * neurons));
                int bad = ActivationChecks.FirstNonFinite(rows.AsSpan(0, count * neurons));
                if (bad >= 0)
                {
                    throw DeepEverestException.Precondition(
                        $"Layer '{probe.Layer.Name}' produced a non-finite activation (NaN or infinity) for input {start + bad / neurons}, neuron {bad % neurons}; such a layer cannot be indexed.");
                }

                matrix.AppendRows(rows.AsSpan(0, count * neurons), count);
                summaries?.Add(rows.AsSpan(0, count * neurons), start, count, neurons);
                long done = start + count;
                progress?.Report(new BuildProgressInfo(BuildPhase.Inference, done, n, 0, neurons, clock.Elapsed, rate.Remaining(done, n), note));
            }

            return matrix;
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Most bytes a build's batch buffers (the batch's decoded inputs and its activation rows) may
    /// hold: part of the constant a build's peak memory adds to its memory budget (docs/datasets.md).
    /// </summary>
    internal const long BatchBufferBytes = 64L << 20;

    /// <summary>
    /// The batch size, lowered so the batch buffers stay within <see cref="BatchBufferBytes"/>: 256
    /// inputs of a 3x224x224 image and its 56x56x64 layer would hold 360 MiB outside the budget.
    /// </summary>
    internal static int CapBatch(int batch, long inputElements, long neurons)
    {
        long perInput = (inputElements + neurons) * sizeof(float);
        return (int)Math.Clamp(BatchBufferBytes / perInput, 1, batch);
    }
}
