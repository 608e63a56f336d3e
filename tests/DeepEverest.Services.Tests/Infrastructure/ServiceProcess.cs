using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>
/// A service as a child process (<c>dotnet DeepEverest.XService.dll ...</c>) with both endpoints on
/// loopback port 0: the addresses it bound are read from its log. The only way to test what a real
/// crash (SIGKILL) leaves behind, how the program loads its settings, and metrics without other
/// in-process hosts sharing the meter.
/// </summary>
internal sealed partial class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GrpcChannel? _channel;

    private ServiceProcess(Process process, string name, bool expectHttp)
    {
        _process = process;
        Name = name;
        ExpectHttp = expectHttp;
    }

    /// <summary>The service's name, e.g. IndexService.</summary>
    public string Name { get; }

    /// <summary>The native gRPC endpoint's address, e.g. http://127.0.0.1:41234.</summary>
    public string GrpcAddress { get; private set; } = "";

    /// <summary>The HTTP/1.1 endpoint's address, or empty when it was disabled.</summary>
    public string HttpAddress { get; private set; } = "";

    /// <summary>A channel to the native gRPC endpoint.</summary>
    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(GrpcAddress);

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private bool ExpectHttp { get; }

    /// <summary>Starts the IndexService on <paramref name="dataRoot"/> and waits until it is healthy.</summary>
    /// <param name="dataRoot">Its <c>DeepEverest:DataRoot</c>.</param>
    /// <param name="args">More command-line settings (they win over the defaults given here).</param>
    /// <param name="workingDirectory">Working directory; default the program's directory.</param>
    /// <param name="dll">The program to run; default the service's build output.</param>
    public static Task<ServiceProcess> StartIndexServiceAsync(string dataRoot, IEnumerable<string>? args = null, string? workingDirectory = null, string? dll = null) =>
        StartAsync("IndexService", dataRoot, args, workingDirectory, dll);

    /// <summary>Starts the QueryService on <paramref name="dataRoot"/> and waits until it is healthy.</summary>
    /// <param name="dataRoot">Its <c>DeepEverest:DataRoot</c>.</param>
    /// <param name="args">More command-line settings (they win over the defaults given here).</param>
    /// <param name="workingDirectory">Working directory; default the program's directory.</param>
    /// <param name="dll">The program to run; default the service's build output.</param>
    public static Task<ServiceProcess> StartQueryServiceAsync(string dataRoot, IEnumerable<string>? args = null, string? workingDirectory = null, string? dll = null) =>
        StartAsync("QueryService", dataRoot, args, workingDirectory, dll);

    /// <summary>
    /// The service's own build output, in the same configuration as this test assembly: the test
    /// output has a copy of the dll, but its appsettings.json may be the other service's (both
    /// services have one and the last copied wins).
    /// </summary>
    public static string LocateServiceDll(string name)
    {
        // AppContext.BaseDirectory = tests/DeepEverest.Services.Tests/bin/<Configuration>/<tfm>/
        var tfm = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = tfm.Parent!.Name;
        string dll = Path.Combine(TestData.RepoRoot, "src", name, "bin", configuration, tfm.Name, $"DeepEverest.{name}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build src/{name} first: {dll} is missing.", dll);
    }

    /// <summary>Kills the process and its children at once (SIGKILL: no shutdown code runs).</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _channel?.Dispose();
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private static async Task<ServiceProcess> StartAsync(string name, string dataRoot, IEnumerable<string>? args, string? workingDirectory, string? dll)
    {
        dll ??= LocateServiceDll(name);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        List<string> all =
        [
            dll,
            "--DeepEverest:DataRoot", dataRoot,
            "--DeepEverest:Kernels", "Cpu",
            "--Kestrel:Endpoints:Grpc:Url", "http://127.0.0.1:0",
            "--Kestrel:Endpoints:Http:Url", "http://127.0.0.1:0",
            .. args ?? [],
        ];
        foreach (string arg in all)
        {
            start.ArgumentList.Add(arg);
        }

        // The last --Kestrel:Endpoints:Http:Url wins; an empty one disables the endpoint.
        int lastHttp = all.LastIndexOf("--Kestrel:Endpoints:Http:Url");
        bool expectHttp = all[lastHttp + 1].Length > 0;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the {name}.");
        var service = new ServiceProcess(process, name, expectHttp);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await service.WaitUntilServingAsync(TimeSpan.FromSeconds(60));
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        Task exited = _process.WaitForExitAsync();
        Task first = await Task.WhenAny(_bound.Task, exited, Task.Delay(timeout));
        if (first != _bound.Task)
        {
            throw _process.HasExited
                ? new InvalidOperationException($"The {Name} exited with code {_process.ExitCode}:\n{Output}")
                : new TimeoutException($"The {Name} did not report its endpoints in {timeout}:\n{Output}");
        }

        var health = new Health.HealthClient(Channel);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The {Name} exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException) when (clock.Elapsed < timeout)
            {
                // Not serving yet.
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The {Name} did not become healthy in {timeout}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        // DeepEverestHost logs "<service> endpoint Grpc (...) listening on http://127.0.0.1:41234".
        Match bound = EndpointLine().Match(line);
        if (bound.Success)
        {
            if (bound.Groups[1].Value == "Grpc")
            {
                GrpcAddress = bound.Groups[2].Value;
            }
            else
            {
                HttpAddress = bound.Groups[2].Value;
            }

            if (GrpcAddress.Length > 0 && (HttpAddress.Length > 0 || !ExpectHttp))
            {
                _bound.TrySetResult();
            }
        }
    }

    [GeneratedRegex(@"endpoint (Grpc|Http) \([^)]*\) listening on (\S+)")]
    private static partial Regex EndpointLine();
}
