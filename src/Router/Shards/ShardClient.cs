using DeepEverest.Contracts;
using DeepEverest.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace DeepEverest.Router.Shards;

/// <summary>
/// One shard as the router calls it: clients of its QueryService and IndexService over their own
/// channels, with the router's key (<see cref="RouterOptions.ShardApiKey"/>) on every call.
/// </summary>
internal sealed class ShardClient : IDisposable
{
    private readonly GrpcChannel _query;
    private readonly GrpcChannel _index;
    private readonly Metadata _headers = [];

    /// <summary>Connects (lazily: nothing is dialled before the first call) to one configured shard.</summary>
    /// <param name="position">The shard's position in <see cref="RouterOptions.Shards"/>.</param>
    /// <param name="options">Its addresses and name.</param>
    /// <param name="apiKey">The router's key, or empty.</param>
    /// <param name="ca">CA certificates trusted besides the system's for <c>https://</c> shards, or null.</param>
    public ShardClient(int position, ShardOptions options, string apiKey, TrustedCa? ca)
    {
        Position = position;
        Name = options.Name.Length > 0 ? $"shard '{options.Name}' ({options.QueryUrl})" : $"shard {position} ({options.QueryUrl})";
        _query = GrpcChannel.ForAddress(options.QueryUrl, ChannelOptions(ca));
        _index = GrpcChannel.ForAddress(options.IndexUrl, ChannelOptions(ca));
        Query = new Contracts.V1.QueryService.QueryServiceClient(_query);
        Index = new IndexService.IndexServiceClient(_index);
        if (apiKey.Length > 0)
        {
            _headers.Add("authorization", $"Bearer {apiKey}");
        }
    }

    /// <summary>Position in the configuration.</summary>
    public int Position { get; }

    /// <summary>How messages name the shard, e.g. <c>shard 2 (http://10.0.0.7:50052)</c>.</summary>
    public string Name { get; }

    /// <summary>Its QueryService.</summary>
    public Contracts.V1.QueryService.QueryServiceClient Query { get; }

    /// <summary>Its IndexService.</summary>
    public IndexService.IndexServiceClient Index { get; }

    /// <summary>Call options with the router's key, the deadline and the token.</summary>
    public CallOptions Call(DateTime? deadline, CancellationToken cancellationToken) => new(_headers, deadline, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _query.Dispose();
        _index.Dispose();
    }

    private static SocketsHttpHandler Handler(TrustedCa? ca)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        ca?.Apply(handler);
        return handler;
    }

    private static GrpcChannelOptions ChannelOptions(TrustedCa? ca) => new()
    {
        // An HttpClient of our own turns off the channel's subchannel balancing, whose reconnect
        // backoff would keep failing calls for seconds after a shard restarts: each call finds a
        // pooled HTTP/2 connection or dials the shard again.
        HttpClient = new HttpClient(Handler(ca)) { Timeout = Timeout.InfiniteTimeSpan },
        DisposeHttpClient = true,

        // Activations of a large layer and stored inputs may exceed the 4 MiB default.
        MaxReceiveMessageSize = 64 << 20,

        // A pooled connection to a shard that restarted (or was replaced) fails the next call
        // before the shard sees it: try again on a new connection. gRPC retries only calls that
        // have received nothing yet, so a stream cut after the shard answered still fails the query.
        ServiceConfig = new ServiceConfig
        {
            MethodConfigs =
            {
                new MethodConfig
                {
                    Names = { MethodName.Default },
                    RetryPolicy = new RetryPolicy
                    {
                        MaxAttempts = 3,
                        InitialBackoff = TimeSpan.FromMilliseconds(50),
                        MaxBackoff = TimeSpan.FromMilliseconds(500),
                        BackoffMultiplier = 2,
                        RetryableStatusCodes = { StatusCode.Unavailable },
                    },
                },
            },
        },
    };
}
