using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DeepEverest.Hosting.Security;

/// <summary>
/// Authenticates and authorizes every gRPC call before its handler runs, whatever the transport
/// (native gRPC, gRPC-Web and JSON transcoding all pass through the gRPC interceptors): a missing
/// or unknown key is UNAUTHENTICATED (HTTP 401 over JSON), a key whose role is too low is
/// PERMISSION_DENIED (403). Roles per method: <see cref="AccessPolicy"/>. Does nothing when
/// authentication is off.
/// </summary>
internal sealed class AuthInterceptor(ApiKeyStore keys) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        if (!keys.Enabled || AccessPolicy.Required(context.Method) is not { } required)
        {
            return;
        }

        HttpContext? http = ClientIdentity.HttpContextOf(context);
        StringValues header = http?.Request.Headers.Authorization ?? StringValues.Empty;
        bool missing = header.Count == 0 || string.IsNullOrEmpty(header[0]);

        // Two authorization headers are refused rather than guessed between.
        ApiKeyIdentity? identity = header.Count == 1 ? keys.Authenticate(header[0], out _) : null;
        if (identity is null)
        {
            if (http is not null && !IsGrpc(http.Request))
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
            }

            throw new RpcException(new Status(StatusCode.Unauthenticated, missing
                ? "This service requires an API key: send the header 'authorization: Bearer <key>'."
                : "The API key is not valid (send 'authorization: Bearer <key>' with a key configured on the service)."));
        }

        if (identity.Role < required)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"API key '{identity.Id}' has role {Name(identity.Role)}; {context.Method} needs role {Name(required)}."));
        }

        ClientIdentity.SetApiKey(context, identity);
    }

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    private static string Name(ApiKeyRole role) => role == ApiKeyRole.Admin ? "admin" : "read";
}
