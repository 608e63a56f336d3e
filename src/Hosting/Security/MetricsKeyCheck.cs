using Microsoft.AspNetCore.Http;

namespace DeepEverest.Hosting.Security;

/// <summary>
/// Guards <c>/metrics</c> when <see cref="AuthOptions.MetricsRequireKey"/> is set: a scrape needs
/// <c>authorization: Bearer &lt;key&gt;</c> of any role (Prometheus: <c>authorization.credentials_file</c>),
/// else 401 with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
internal static class MetricsKeyCheck
{
    /// <summary>Middleware body: passes every other path through.</summary>
    public static Task InvokeAsync(HttpContext context, RequestDelegate next, ApiKeyStore keys)
    {
        if (!context.Request.Path.Equals(DeepEverestHost.MetricsPath, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var header = context.Request.Headers.Authorization;
        if (header.Count == 1 && keys.Authenticate(header[0], out _) is not null)
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsync("/metrics requires an API key: send 'authorization: Bearer <key>'.\n", context.RequestAborted);
    }
}
