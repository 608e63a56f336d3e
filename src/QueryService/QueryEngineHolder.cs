using DeepEverest.Core.Query;
using DeepEverest.Core.Storage;
using DeepEverest.Kernels;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService;

/// <summary>
/// Opens the shared store as a secondary instance on first use (the IndexService may start after
/// us and create it) and keeps one <see cref="QueryEngine"/> over it. <see cref="StoreFollower"/>
/// keeps the secondary following the primary.
/// </summary>
internal sealed class QueryEngineHolder(IOptions<QueryServiceOptions> options, IOptions<QueryEngineOptions> engineOptions, IKernels kernels) : IDisposable
{
    private readonly Lock _lock = new();
    private StoreReader? _store;
    private QueryEngine? _engine;

    /// <summary>The store, opened on first use.</summary>
    public StoreReader Store
    {
        get
        {
            EnsureOpen();
            return _store!;
        }
    }

    /// <summary>The store if it has been opened, else null (opening is left to the first request).</summary>
    public StoreReader? OpenedStore
    {
        get
        {
            lock (_lock)
            {
                return _store;
            }
        }
    }

    /// <summary>The engine, created on first use.</summary>
    public QueryEngine Engine
    {
        get
        {
            EnsureOpen();
            return _engine!;
        }
    }

    private void EnsureOpen()
    {
        lock (_lock)
        {
            if (_engine is not null)
            {
                return;
            }

            _store = StoreReader.OpenSecondary(Path.GetFullPath(options.Value.DataRoot));
            _engine = new QueryEngine(_store, kernels, engineOptions.Value);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _engine?.Dispose();
        _store?.Dispose();
    }
}
