using System.Text.Json;
using DeepEverest.Cli;
using DeepEverest.Contracts.V1;
using DeepEverest.Services.Tests.Infrastructure;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Cli;

/// <summary>
/// <c>deepeverest bench load</c> against both service programs (child processes, so the metrics it
/// reads are theirs alone): phases, limit refusals counted as errors by status, a cancellation
/// storm after which no query worker runs, and memory read from both services' /metrics.
/// </summary>
public sealed class LoadBenchTests : IAsyncLifetime
{
    private readonly string _root = TestData.CreateTempDirectory();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        TestData.DeleteDirectory(_root);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task BenchLoad_TwoPhasesAndAStorm_ReportsQueriesLimitRefusalsAndMemory()
    {
        TestData.CopyModel(_root);
        (string images, string labels) = TestData.WriteFashionSlice(_root, "slice", 300);
        using ServiceProcess index = await ServiceProcess.StartIndexServiceAsync(_root);
        var client = new IndexClient(index.Channel);
        await client.AddModelAsync(new AddModelRequest { Name = "vgg", Path = TestData.ModelFile }).ResponseAsync.DefaultTimeout();
        var import = new ImportDatasetRequest { Name = "fm", Preprocessing = new Preprocessing { Scale = 1f / 255 } };
        import.Parts.Add(new DatasetPart { InputsPath = images, LabelsPath = labels });
        import.InputShape.AddRange([1, 28, 28]);
        await client.ImportDatasetAsync(import).ResponseAsync.DefaultTimeout();
        await client.BuildAsync(new BuildIndexRequest { Layer = new LayerRef { Model = "vgg", Dataset = "fm", Layer = TestData.SmallLayer } });
        using ServiceProcess query = await ServiceProcess.StartQueryServiceAsync(_root, ["--DeepEverest:Limits:MaxConcurrentQueriesPerClient", "2", "--DeepEverest:Query:InferenceSessions", "2"]);

        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await global::DeepEverest.Cli.Program.RunAsync(
            [
                "--index-service", index.GrpcAddress, "--query-service", query.GrpcAddress, "--json",
                "bench", "load", "--streams", "1,4", "--seconds", "2", "--warmup", "0", "--storm", "8", "--no-cache",
                "--query-http", query.HttpAddress, "--index-http", index.HttpAddress, "--output", Path.Combine(_root, "load.md"),
            ],
            CliConsole.ForWriters(output, error)).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(code == 0, error.ToString());
        using JsonDocument report = JsonDocument.Parse(output.ToString());
        JsonElement root = report.RootElement;
        JsonElement[] phases = [.. root.GetProperty("phases").EnumerateArray()];
        Assert.Equal([1, 4], phases.Select(p => p.GetProperty("streams").GetInt32()));
        Assert.True(phases[0].GetProperty("completed").GetInt32() > 0, output.ToString());
        Assert.True(phases[0].GetProperty("queryServiceCpuSeconds").GetDouble() > 0);
        Assert.Empty(phases[0].GetProperty("errors").EnumerateObject());
        Assert.True(phases[1].GetProperty("completed").GetInt32() > 0);

        // Four streams of one client over a per-client limit of two: only limit refusals.
        Assert.All(phases[1].GetProperty("errors").EnumerateObject(), e => Assert.Equal("ResourceExhausted", e.Name));
        Assert.True(phases[1].GetProperty("p99Ms").GetDouble() >= phases[1].GetProperty("p50Ms").GetDouble());

        JsonElement storm = root.GetProperty("storm");
        var outcomes = storm.GetProperty("outcomes").EnumerateObject().ToDictionary(o => o.Name, o => o.Value.GetInt32());
        Assert.Equal(8, storm.GetProperty("completed").GetInt32() + outcomes.Values.Sum());
        Assert.Subset(new HashSet<string> { "Cancelled", "ResourceExhausted" }, outcomes.Keys.ToHashSet());
        Assert.Equal(0, storm.GetProperty("runningAfter").GetDouble());

        JsonElement[] memory = [.. root.GetProperty("memory").EnumerateArray()];
        Assert.Equal(6, memory.Length);
        Assert.All(memory, m => Assert.True(m.GetProperty("bytes").GetInt64() > 10 << 20));
        string markdown = File.ReadAllText(Path.Combine(_root, "load.md"));
        Assert.Contains("| streams | completed | errors | q/s | p50 ms | p99 ms | vs first |", markdown, StringComparison.Ordinal);
        Assert.Contains("| after storm |", markdown, StringComparison.Ordinal);
        Assert.Contains("activation cache bypassed", markdown, StringComparison.Ordinal);
    }
}
