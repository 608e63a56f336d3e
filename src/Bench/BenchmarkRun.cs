namespace DeepEverest.Bench;

/// <summary>
/// How every benchmark over a data root of its own runs: options checked first, the run, then the
/// benchmark released and its data root deleted (unless kept), whether the run finished or threw.
/// </summary>
internal static class BenchmarkRun
{
    /// <summary>Runs <paramref name="execute"/> on a benchmark made by <paramref name="create"/>.</summary>
    public static TResults Run<TBenchmark, TResults>(IDataRootOptions options, Func<TBenchmark> create, Func<TBenchmark, TResults> execute, Action<TBenchmark>? release = null)
        where TBenchmark : IDisposable
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using TBenchmark bench = create();
        try
        {
            return execute(bench);
        }
        finally
        {
            release?.Invoke(bench);
            if (!options.KeepData)
            {
                BenchStores.DeleteDataRoot(options.DataRoot);
            }
        }
    }
}
