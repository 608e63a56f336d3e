using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepEverest.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace DeepEverest.Services.Tests.Exactness;

/// <summary>
/// The differential test (issue 23): seeded random requests over the whole request space, each run
/// through the QueryService (native gRPC), its final answer compared with brute force over the same
/// activations (ids, order, scores bit for bit) and every streamed update checked against the
/// contract. Settings (environment): <c>DEEPEVEREST_EXACTNESS_N</c> requests (default 300),
/// <c>DEEPEVEREST_EXACTNESS_SEED</c> (default 23), <c>DEEPEVEREST_EXACTNESS_DATA</c> a data root to
/// query instead of the small one (<c>make test-exactness</c>), <c>DEEPEVEREST_EXACTNESS_REPLAY</c> a
/// failure's JSON file to run alone. Every failure is printed as JSON (and appended to
/// <c>DEEPEVEREST_EXACTNESS_OUT</c>, default exactness-failures.jsonl beside the test binaries) so
/// it replays; <c>DEEPEVEREST_EXACTNESS_PARALLEL</c> runs that many requests at once (long runs;
/// progress goes to the failures file's name + ".progress").
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class DifferentialTests(DifferentialFixture fixture, ITestOutputHelper output)
{
    private const int DefaultRequests = 300;
    private const int DefaultSeed = 23;

    [Fact]
    public async Task RandomRequests_EqualBruteForce_AndKeepTheStreamContract()
    {
        string? replay = Environment.GetEnvironmentVariable("DEEPEVEREST_EXACTNESS_REPLAY");
        int seed = EnvironmentInt("DEEPEVEREST_EXACTNESS_SEED", DefaultSeed);
        int count = EnvironmentInt("DEEPEVEREST_EXACTNESS_N", DefaultRequests);
        var cases = new List<(int Index, DifferentialCase Case)>();
        if (!string.IsNullOrEmpty(replay))
        {
            cases.Add(Parse(File.ReadAllText(replay)));
        }
        else
        {
            var generator = new RequestGenerator(fixture.Space, fixture.Reference.ModelInput, seed);
            for (int i = 0; i < count; i++)
            {
                cases.Add((i, generator.Next()));
            }
        }

        var oracle = new Oracle(fixture.Space, fixture.Reference);
        var coverage = new Coverage();
        var failures = new List<string>();
        string failureFile = Environment.GetEnvironmentVariable("DEEPEVEREST_EXACTNESS_OUT") is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "exactness-failures.jsonl");
        File.WriteAllText(failureFile, "");
        var started = DateTime.UtcNow;
        int done = 0;
        // Requests are drawn up front, so running several at once (long runs) changes nothing drawn.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, EnvironmentInt("DEEPEVEREST_EXACTNESS_PARALLEL", 1)) };
        await Parallel.ForEachAsync(cases, parallel, async (item, _) =>
        {
            (int index, DifferentialCase request) = item;
            string? violation = await Run(request, oracle, coverage);
            lock (failures)
            {
                if (violation is not null)
                {
                    string json = Describe(seed, index, request, violation);
                    failures.Add(json);
                    output.WriteLine(json);
                    File.AppendAllText(failureFile, json + "\n");
                }

                if (++done % 250 == 0)
                {
                    File.AppendAllText(failureFile + ".progress", $"{DateTime.UtcNow:O} {done}/{cases.Count} requests, {failures.Count} failures\n");
                }
            }
        });

        output.WriteLine($"{cases.Count} requests (seed {seed}, {(fixture.External ? fixture.DataRoot : "small data root")}, {(DateTime.UtcNow - started).TotalSeconds:F0} s), {failures.Count} failures");
        output.WriteLine(coverage.ToString());
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} requests failed (seed {seed}); each is printed above as JSON and written to {failureFile}; replay one with DEEPEVEREST_EXACTNESS_REPLAY=<file holding its line>. First: {failures.FirstOrDefault()?[..Math.Min(failures[0].Length, 2000)]}");
        if (string.IsNullOrEmpty(replay) && !fixture.External && count >= DefaultRequests)
        {
            // The draw must reach every part of the space it claims to cover.
            coverage.AssertCovers(output);
        }
    }

    private async Task<string?> Run(DifferentialCase request, Oracle oracle, Coverage coverage)
    {
        coverage.Count(request, fixture.Space);
        var updates = new List<TopKUpdate>();
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            using AsyncServerStreamingCall<TopKUpdate> call = request.Similar is not null
                ? fixture.Client.TopKSimilar(request.Similar, cancellationToken: cancel.Token)
                : fixture.Client.TopKHighest(request.Highest!, cancellationToken: cancel.Token);
            await foreach (TopKUpdate update in call.ResponseStream.ReadAllAsync(cancel.Token))
            {
                updates.Add(update);
            }
        }
        catch (RpcException e)
        {
            if (request.ExpectedError == e.StatusCode)
            {
                coverage.CountRefused();
                return null;
            }

            return $"failed with {e.StatusCode}: {e.Status.Detail}" + (request.ExpectedError is { } expected ? $" (expected {expected})" : "");
        }

        if (request.ExpectedError is { } error)
        {
            return $"answered ({updates.Count} updates); expected {error}";
        }

        ExpectedAnswer expectedAnswer = oracle.Answer(request);
        coverage.Answered(expectedAnswer, updates);
        return StreamContract.Violation(updates, expectedAnswer, fixture.Space.Labels);
    }

    private string Describe(int seed, int index, DifferentialCase request, string violation)
    {
        var node = new JsonObject
        {
            ["seed"] = seed,
            ["index"] = index,
            ["data"] = fixture.External ? fixture.DataRoot : "small",
            ["method"] = request.Similar is not null ? "TopKSimilar" : "TopKHighest",
            ["expectedError"] = request.ExpectedError?.ToString(),
            ["violation"] = violation,
            ["request"] = JsonNode.Parse(JsonFormatter.Default.Format(request.Similar is not null ? request.Similar : request.Highest!)),
        };
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static (int, DifferentialCase) Parse(string json)
    {
        JsonNode node = JsonNode.Parse(json)!;
        string request = node["request"]!.ToJsonString();
        StatusCode? expected = node["expectedError"]?.GetValue<string>() is { } name ? Enum.Parse<StatusCode>(name) : null;
        int index = node["index"]?.GetValue<int>() ?? 0;
        return node["method"]!.GetValue<string>() == "TopKSimilar"
            ? (index, new DifferentialCase(JsonParser.Default.Parse<TopKSimilarRequest>(request), null, expected))
            : (index, new DifferentialCase(null, JsonParser.Default.Parse<TopKHighestRequest>(request), expected));
    }

    private static int EnvironmentInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
