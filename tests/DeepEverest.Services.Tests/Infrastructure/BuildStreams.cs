using DeepEverest.Contracts.V1;
using Grpc.Core;
using IndexClient = DeepEverest.Contracts.V1.IndexService.IndexServiceClient;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>Helpers for the streaming build calls.</summary>
internal static class BuildStreams
{
    /// <summary>Runs a build to the end and returns every progress message.</summary>
    public static Task<List<BuildProgress>> BuildAsync(this IndexClient client, BuildIndexRequest request) =>
        client.BuildAsync(request, TaskTimeoutExtensions.Timeout);

    /// <summary>Runs a build to the end, bounded by <paramref name="timeout"/>, and returns every progress message.</summary>
    public static async Task<List<BuildProgress>> BuildAsync(this IndexClient client, BuildIndexRequest request, TimeSpan timeout)
    {
        using AsyncServerStreamingCall<BuildProgress> call = client.BuildIndex(request, deadline: DateTime.UtcNow.Add(timeout));
        return await ReadAllAsync(call).WaitAsync(timeout);
    }

    /// <summary>Reads a build stream to its end.</summary>
    public static async Task<List<BuildProgress>> ReadAllAsync(AsyncServerStreamingCall<BuildProgress> call)
    {
        var messages = new List<BuildProgress>();
        await foreach (BuildProgress message in call.ResponseStream.ReadAllAsync())
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>The status code a call fails with.</summary>
    public static async Task<StatusCode> StatusOfAsync(Func<Task> call)
    {
        RpcException error = await Assert.ThrowsAsync<RpcException>(call).DefaultTimeout();
        return error.StatusCode;
    }
}
