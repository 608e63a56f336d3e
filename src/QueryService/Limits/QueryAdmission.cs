using System.Threading.RateLimiting;
using DeepEverest.Core;
using Microsoft.Extensions.Options;

namespace DeepEverest.QueryService.Limits;

/// <summary>
/// Admission of queries under <see cref="QueryLimitsOptions"/>: a concurrency limiter for the whole
/// service and one per client, for all queries and for scans (ReprocessAll, NTA). Nothing queues:
/// a query over a limit is refused with <see cref="ErrorKind.ResourceExhausted"/> at once, so a
/// client backs off instead of holding a connection while work piles up.
/// </summary>
internal sealed class QueryAdmission : IDisposable
{
    private readonly Gate _queries;
    private readonly Gate _scans;

    public QueryAdmission(IOptions<QueryLimitsOptions> options)
    {
        QueryLimitsOptions limits = options.Value;
        _queries = new Gate(
            limits.MaxConcurrentQueries,
            limits.MaxConcurrentQueriesPerClient,
            (limit, setting) => $"The QueryService is running its limit of {limit} concurrent queries ({setting}); retry shortly.",
            (limit, setting, client) => $"This client ({client}) is running its limit of {limit} concurrent queries ({setting}); wait for one to finish.",
            nameof(QueryLimitsOptions.MaxConcurrentQueries),
            nameof(QueryLimitsOptions.MaxConcurrentQueriesPerClient));
        _scans = new Gate(
            limits.MaxConcurrentScans,
            limits.MaxConcurrentScansPerClient,
            (limit, setting) => $"The QueryService is running its limit of {limit} concurrent ReprocessAll/NTA queries ({setting}), which run the model over much of the dataset; retry shortly, or query an indexed layer with the bounds strategy.",
            (limit, setting, client) => $"This client ({client}) is running its limit of {limit} concurrent ReprocessAll/NTA queries ({setting}), which run the model over much of the dataset; wait for one to finish, or query an indexed layer with the bounds strategy.",
            nameof(QueryLimitsOptions.MaxConcurrentScans),
            nameof(QueryLimitsOptions.MaxConcurrentScansPerClient));
    }

    /// <summary>Admits a query of <paramref name="client"/>; dispose the result when it ends. Throws ResourceExhausted over a limit.</summary>
    public IDisposable AdmitQuery(string client) => _queries.Enter(client);

    /// <summary>Admits a ReprocessAll or NTA run of <paramref name="client"/>; dispose the result when it ends.</summary>
    public IDisposable AdmitScan(string client) => _scans.Enter(client);

    /// <inheritdoc />
    public void Dispose()
    {
        _queries.Dispose();
        _scans.Dispose();
    }

    /// <summary>One service-wide limit and one per-client limit (0 = none).</summary>
    private sealed class Gate : IDisposable
    {
        private readonly ConcurrencyLimiter? _service;
        private readonly PartitionedRateLimiter<string>? _perClient;
        private readonly int _serviceLimit;
        private readonly int _clientLimit;
        private readonly Func<int, string, string> _serviceMessage;
        private readonly Func<int, string, string, string> _clientMessage;
        private readonly string _serviceSetting;
        private readonly string _clientSetting;

        public Gate(int serviceLimit, int clientLimit, Func<int, string, string> serviceMessage, Func<int, string, string, string> clientMessage, string serviceSetting, string clientSetting)
        {
            _serviceLimit = serviceLimit;
            _clientLimit = clientLimit;
            _serviceMessage = serviceMessage;
            _clientMessage = clientMessage;
            _serviceSetting = $"{QueryLimitsOptions.SectionName}:{serviceSetting}";
            _clientSetting = $"{QueryLimitsOptions.SectionName}:{clientSetting}";
            if (serviceLimit > 0)
            {
                _service = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = serviceLimit, QueueLimit = 0 });
            }

            if (clientLimit > 0)
            {
                // One limiter per client, created on its first query; the partitioned limiter drops
                // limiters that have been idle a while, so clients that come and go cost nothing.
                _perClient = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetConcurrencyLimiter(
                    client,
                    _ => new ConcurrencyLimiterOptions { PermitLimit = clientLimit, QueueLimit = 0 }));
            }
        }

        public IDisposable Enter(string client)
        {
            RateLimitLease? service = _service?.AttemptAcquire();
            if (service is { IsAcquired: false })
            {
                service.Dispose();
                throw new DeepEverestException(ErrorKind.ResourceExhausted, _serviceMessage(_serviceLimit, _serviceSetting));
            }

            RateLimitLease? own = _perClient?.AttemptAcquire(client);
            if (own is { IsAcquired: false })
            {
                own.Dispose();
                service?.Dispose();
                throw new DeepEverestException(ErrorKind.ResourceExhausted, _clientMessage(_clientLimit, _clientSetting, client));
            }

            return new Leases(service, own);
        }

        public void Dispose()
        {
            _service?.Dispose();
            _perClient?.Dispose();
        }
    }

    private sealed class Leases(RateLimitLease? service, RateLimitLease? own) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                own?.Dispose();
                service?.Dispose();
            }
        }
    }
}
