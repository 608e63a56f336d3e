namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>Every await in these tests is bounded, so a hang fails one test instead of the run.</summary>
internal static class TaskTimeoutExtensions
{
    /// <summary>Timeout of ordinary calls.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Bound of long calls (builds of thousands of inputs): only a guard against a hang, generous
    /// because the shared test machine may run them many times slower than an idle one.
    /// </summary>
    public static readonly TimeSpan LongTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Timeout"/>.</summary>
    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Timeout"/>.</summary>
    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Timeout);
}
