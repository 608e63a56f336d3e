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
        Shards = [.. _options.Shards.Select((s, i) => new ShardClient(i, s, _options.ShardApiKey))];
    }

    /// <summary>The shards, in configuration order.</summary>
    public IReadOnlyList<ShardClient> Shards { get; }

    /// <summary>Forgets what the shards hold, so the next query reads it again (after a failure).</summary>
    public void Invalidate() => _snapshot = null;

    /// <summary>
    /// The slices of <paramref name="dataset"/> (empty = the only dataset the shards hold), checked.
    /// UNAVAILABLE names a shard that cannot be reached; FAILED_PRECONDITION ranges that do not tile.
    /// </summary>
    public async Task<DatasetShards> ResolveAsync(string dataset, CancellationToken cancellationToken)
    {
        Snapshot snapshot = await ReadAsync(cancellationToken);
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

    /// <summary>Reads every shard's datasets now and checks every dataset's tiling (start-up).</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        _snapshot = null;
        Snapshot snapshot = await ReadAsync(cancellationToken);
        foreach ((string name, List<ShardSlice> slices) in snapshot.Datasets)
        {
            DatasetShards.Tile(name, slices);
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
            ListDatasetsResponse[] lists = await Task.WhenAll(Shards.Select(async shard =>
            {
                try
                {
                    return await shard.Index.ListDatasetsAsync(new ListDatasetsRequest(), shard.Call(deadline, cancellationToken));
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw ShardFailure.Of(shard, e, "listing its datasets");
                }
            }));
            var datasets = new Dictionary<string, List<ShardSlice>>(StringComparer.Ordinal);
            for (int i = 0; i < Shards.Count; i++)
            {
                foreach (DatasetInfo info in lists[i].Datasets)
                {
                    if (!datasets.TryGetValue(info.Name, out List<ShardSlice>? slices))
                    {
                        datasets[info.Name] = slices = [];
                    }

                    slices.Add(new ShardSlice(Shards[i], info));
                }
            }

            _snapshot = new Snapshot(datasets, _clock.GetUtcNow());
            return _snapshot;
        }
        finally
        {
            _reading.Release();
        }
    }

    private Snapshot? Fresh(Snapshot? snapshot) =>
        snapshot is not null && _clock.GetUtcNow() - snapshot.ReadAt < TimeSpan.FromSeconds(_options.TopologyRefreshSeconds) ? snapshot : null;

    private sealed record Snapshot(Dictionary<string, List<ShardSlice>> Datasets, DateTimeOffset ReadAt);
}
