using DeepEverest.Core.Indexing;

namespace DeepEverest.Core.Tests.Support;

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts asynchronously).</summary>
public sealed class SynchronousProgress(Action<BuildProgressInfo> report) : IProgress<BuildProgressInfo>
{
    public void Report(BuildProgressInfo value) => report(value);
}
