using System.Globalization;

namespace DeepEverest.Cli;

/// <summary>
/// What every <c>bench</c> command prints around a run: its progress lines in order, where the
/// results and the report went, and the exactness verdict (exit code 1 on any inexact answer).
/// </summary>
internal static class BenchOutcome
{
    /// <summary>Progress that writes each line on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    public static IProgress<string> Lines(Action<string> write) => new LineProgress(write);

    /// <summary>Prints where the results and the report were written.</summary>
    public static void Written(CliSession session, string resultsPath, string reportPath, int queries, double minutes) =>
        session.Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"results: {resultsPath}; report: {reportPath}; {queries} queries in {minutes:F1} min"));

    /// <summary>Prints <paramref name="exact"/> when no answer differs; otherwise the first 20 differences, and fails the command.</summary>
    /// <exception cref="CliException">Some answer differs from the reference.</exception>
    public static void Verdict(CliSession session, IReadOnlyList<string> mismatches, string exact)
    {
        if (mismatches.Count == 0)
        {
            session.Console.Out.WriteLine(exact);
            return;
        }

        foreach (string mismatch in mismatches.Take(20))
        {
            session.Console.Error.WriteLine($"inexact: {mismatch}");
        }

        throw new CliException($"{mismatches.Count} answer(s) differ from the reference; see the results file.");
    }

    private sealed class LineProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
