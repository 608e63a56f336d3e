using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace DeepEverest.Hosting.Security;

/// <summary>
/// Who made a call, as per-client limits and the request log see it: the API key's id when the
/// call was authenticated, else the peer's IP address. Behind a proxy every call has the proxy's
/// address: turn authentication on to tell clients apart there.
/// </summary>
public static class ClientIdentity
{
    private const string UserStateKey = "DeepEverest.ApiKey";

    /// <summary>The key the call was authenticated with, or null (authentication off, or an open method).</summary>
    public static ApiKeyIdentity? ApiKey(ServerCallContext context) =>
        context.UserState.TryGetValue(UserStateKey, out object? value) ? value as ApiKeyIdentity : null;

    /// <summary>The client a call counts against: <c>key:&lt;id&gt;</c> when authenticated, else <c>ip:&lt;address&gt;</c>.</summary>
    public static string Of(ServerCallContext context) =>
        ApiKey(context) is { } key ? "key:" + key.Id : "ip:" + PeerAddress(context);

    /// <summary>The peer's IP address (IPv4-mapped addresses as IPv4), or <c>unknown</c> (in-memory test server).</summary>
    public static string PeerAddress(ServerCallContext context)
    {
        IPAddress? address = HttpContextOf(context)?.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    /// <summary>Records the key a call was authenticated with.</summary>
    internal static void SetApiKey(ServerCallContext context, ApiKeyIdentity identity) => context.UserState[UserStateKey] = identity;

    /// <summary>The call's HTTP context (native gRPC, gRPC-Web and JSON calls all have one), or null.</summary>
    internal static HttpContext? HttpContextOf(ServerCallContext context)
    {
        try
        {
            return context.GetHttpContext();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
