using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>
/// The IndexService as a child process (<c>dotnet DeepEverest.IndexService.dll --urls ...</c>) on a
/// free loopback port: the only way to test what a real crash (SIGKILL) leaves behind.
/// </summary>
internal sealed class IndexServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private IndexServiceProcess(Process process, string address)
    {
        _process = process;
        Address = address;
        Channel = GrpcChannel.ForAddress(address);
    }

    /// <summary>The service's address, e.g. http://127.0.0.1:41234.</summary>
    public string Address { get; }

    /// <summary>A channel to the service.</summary>
    public GrpcChannel Channel { get; }

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

    /// <summary>Starts the service on <paramref name="dataRoot"/> and waits until its health check says SERVING.</summary>
    public static async Task<IndexServiceProcess> StartAsync(string dataRoot)
    {
        string dll = LocateServiceDll();
        string address = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { dll, "--urls", address, "--DeepEverest:DataRoot", dataRoot })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the IndexService.");
        var service = new IndexServiceProcess(process, address);
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

    /// <summary>Kills the process and its children at once (SIGKILL: no shutdown code runs).</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        var health = new Health.HealthClient(Channel);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The IndexService exited with code {_process.ExitCode}:\n{Output}");
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
                // Not listening yet.
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The IndexService did not become healthy in {timeout}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The service's own build output, in the same configuration as this test assembly: the test
    /// output has a copy of the dll, but its appsettings.json may be the QueryService's (both
    /// services have one and the last copied wins).
    /// </summary>
    private static string LocateServiceDll()
    {
        const string Name = "DeepEverest.IndexService";

        // AppContext.BaseDirectory = tests/DeepEverest.Services.Tests/bin/<Configuration>/<tfm>/
        var tfm = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = tfm.Parent!.Name;
        string dll = Path.Combine(TestData.RepoRoot, "src", "IndexService", "bin", configuration, tfm.Name, Name + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build src/IndexService first: {dll} is missing.", dll);
    }
}
