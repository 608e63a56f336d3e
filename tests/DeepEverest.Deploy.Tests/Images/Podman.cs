using DeepEverest.Deploy.Tests.Infrastructure;

namespace DeepEverest.Deploy.Tests.Images;

/// <summary>Runs podman with the repository's containers.conf (runc, ulimits, no systemd).</summary>
internal static class Podman
{
    private static readonly Dictionary<string, string> _environment = new()
    {
        ["CONTAINERS_CONF"] = Path.Combine(RepoPaths.Root, "tools", "containers", "containers.conf"),
    };

    /// <summary>Runs <c>podman</c> with <paramref name="arguments"/>; returns how it ended.</summary>
    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ExternalCommand.RunAsync("podman", arguments, timeout ?? TimeSpan.FromMinutes(2), _environment, cancellationToken);

    /// <summary>Runs <c>podman</c> and returns its standard output; throws unless it exits 0.</summary>
    public static async Task<string> RunCheckedAsync(params string[] arguments) =>
        (await RunAsync(arguments)).EnsureSuccess($"podman {string.Join(' ', arguments)}").Stdout;

    /// <summary>Whether the local image <paramref name="reference"/> exists.</summary>
    public static async Task<bool> ImageExistsAsync(string reference) =>
        (await RunAsync(["image", "exists", reference])).ExitCode == 0;
}
