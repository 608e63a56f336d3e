namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>Every await in these tests is bounded, so a hang fails one test instead of the run.</summary>
internal static class TaskTimeoutExtensions
{
    /// <summary>Timeout of ordinary calls.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Timeout"/>.</summary>
    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Timeout"/>.</summary>
    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Timeout);
}
