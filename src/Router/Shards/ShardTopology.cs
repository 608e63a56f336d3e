using DeepEverest.Contracts;
using DeepEverest.Contracts.V1;
using DeepEverest.Core;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.Router.Shards;

/// <summary>
/// The configured shards and what each holds: every dataset's slices, read from the shards'
/// IndexServices (ListDatasets) and checked to tile the dataset (<see cref="DatasetShards.Tile"/>).
/// Read at start-up (<see cref="TopologyCheck"/>), then again by a query when older than
/// <see cref="RouterOptions.TopologyRefreshSeconds"/> or after a query failed.
/// </summary>
internal sealed class ShardTopology : IDisposable
{
    private readonly RouterOptions _options;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private Snapshot? _snapshot;

    /// <summary>Clients of the configured shards.</summary>
    public ShardTopology(IOptions<RouterOptions> options, TimeProvider clock)
    {
        _options = options.Value;
        _clock = clock;
        TrustedCa? ca = _options.ShardCaFile.Length > 0 ? TrustedCa.FromPemFile(_options.ShardCaFile) : null;
        Shards = [.. _options.Shards.Select((s, i) => new ShardClient(i, s, _options.ShardApiKey, ca))];
    }

    /// <summary>The shards, in configuration order.</summary>
    public IReadOnlyList<ShardClient> Shards { get; }

    /// <summary>Forgets what the shards hold, so the next query reads it again (after a failure).</summary>
    public void Invalidate() => _snapshot = null;

    /// <summary>
    /// The slices of <paramref name="dataset"/> (empty = the only dataset the shards hold), checked.
    /// UNAVAILABLE names a shard that cannot be reached; FAILED_PRECONDITION ranges that do not tile,
    /// a shard of another source, or a shard holding another version of <paramref name="model"/>
    /// (when given) than its siblings: its answers would not be comparable with theirs.
    /// </summary>
    public async Task<DatasetShards> ResolveAsync(string dataset, CancellationToken cancellationToken, string model = "")
    {
        Snapshot snapshot = await ReadAsync(cancellationToken);
        CheckModel(snapshot, model);
        if (dataset.Length == 0)
        {
            dataset = snapshot.Datasets.Count switch
            {
                0 => throw DeepEverestException.Precondition("The shards hold no dataset: import one on every shard first."),
                1 => snapshot.Datasets.Keys.First(),
                _ => throw DeepEverestException.Invalid(
                    $"layer.dataset is empty but the shards hold several datasets ({string.Join(", ", snapshot.Datasets.Keys.Order(StringComparer.Ordinal))}): name one."),
            };
        }

        if (!snapshot.Datasets.TryGetValue(dataset, out List<ShardSlice>? slices))
        {
            throw DeepEverestException.NotFound(
                $"dataset '{dataset}' is on no shard (they hold: {string.Join(", ", snapshot.Datasets.Keys.Order(StringComparer.Ordinal))}).");
        }

        return DatasetShards.Tile(dataset, slices);
    }

    /// <summary>Reads every shard's datasets and models now and checks every dataset's tiling and every model's version (start-up).</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        _snapshot = null;
        Snapshot snapshot = await ReadAsync(cancellationToken);
        foreach ((string name, List<ShardSlice> slices) in snapshot.Datasets)
        {
            DatasetShards.Tile(name, slices);
        }

        foreach (string model in snapshot.Models.SelectMany(m => m.Keys).Distinct())
        {
            CheckModel(snapshot, model);
        }
    }

    /// <summary>
    /// Every shard that holds <paramref name="model"/> must hold the same file (ModelInfo.sha256):
    /// a model re-uploaded to one shard only would score its inputs on another scale.
    /// </summary>
    private void CheckModel(Snapshot snapshot, string model)
    {
        if (model.Length == 0)
        {
            return;
        }

        (ShardClient Shard, ModelInfo Info)[] holding = [.. Shards.Select((s, i) => (s, snapshot.Models[i].GetValueOrDefault(model)))
            .Where(h => h.Item2 is not null).Select(h => (h.s, h.Item2!))];
        foreach ((ShardClient shard, ModelInfo info) in holding.Skip(1))
        {
            if (info.Sha256 != holding[0].Info.Sha256)
            {
                throw DeepEverestException.Precondition(
                    $"Model '{model}': {shard.Name} holds another version than {holding[0].Shard.Name} (sha256 {info.Sha256} vs {holding[0].Info.Sha256}). " +
                    "Register the same model file on every shard (AddModel or UploadModel through the router registers it on all of them).");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (ShardClient shard in Shards)
        {
            shard.Dispose();
        }

        _reading.Dispose();
    }

    private async Task<Snapshot> ReadAsync(CancellationToken cancellationToken)
    {
        if (Fresh(_snapshot) is { } fresh)
        {
            return fresh;
        }

        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(_snapshot) is { } read)
            {
                return read;
            }

            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            (ListDatasetsResponse Datasets, ListModelsResponse Models)[] lists = await Task.WhenAll(Shards.Select(async shard =>
            {
                try
                {
                    AsyncUnaryCall<ListDatasetsResponse> datasets = shard.Index.ListDatasetsAsync(new ListDatasetsRequest(), shard.Call(deadline, cancellationToken));
                    AsyncUnaryCall<ListModelsResponse> models = shard.Index.ListModelsAsync(new ListModelsRequest(), shard.Call(deadline, cancellationToken));
                    return (await datasets, await models);
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw ShardFailure.Of(shard, e, "listing its datasets and models");
                }
            }));
            var datasets = new Dictionary<string, List<ShardSlice>>(StringComparer.Ordinal);
            for (int i = 0; i < Shards.Count; i++)
            {
                foreach (DatasetInfo info in lists[i].Datasets.Datasets)
                {
                    if (!datasets.TryGetValue(info.Name, out List<ShardSlice>? slices))
                    {
                        datasets[info.Name] = slices = [];
                    }

                    slices.Add(new ShardSlice(Shards[i], info));
                }
            }

            Dictionary<string, ModelInfo>[] models = [.. lists.Select(l => l.Models.Models.ToDictionary(m => m.Name, StringComparer.Ordinal))];
            _snapshot = new Snapshot(datasets, models, _clock.GetUtcNow());
            return _snapshot;
        }
        finally
        {
            _reading.Release();
        }
    }

    private Snapshot? Fresh(Snapshot? snapshot) =>
        snapshot is not null && _clock.GetUtcNow() - snapshot.ReadAt < TimeSpan.FromSeconds(_options.TopologyRefreshSeconds) ? snapshot : null;

    /// <param name="Datasets">Each dataset's slices.</param>
    /// <param name="Models">Per shard (configuration order), its models by name.</param>
    /// <param name="ReadAt">When they were read.</param>
    private sealed record Snapshot(Dictionary<string, List<ShardSlice>> Datasets, Dictionary<string, ModelInfo>[] Models, DateTimeOffset ReadAt);
}
