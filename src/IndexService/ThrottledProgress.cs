using System.Diagnostics;
using System.Threading.Channels;
using DeepEverest.Core.Indexing;

namespace DeepEverest.IndexService;

/// <summary>
/// The <see cref="IProgress{T}"/> a build reports to, on the build's own thread: it forwards at
/// most one report per interval into a channel the RPC drains, always forwarding a phase change
/// and the last report of each phase (so a client sees inference reach 100% before construction
/// starts). Reports of <see cref="BuildPhase.Done"/> are dropped: the RPC sends its own DONE with
/// the published index attached.
/// </summary>
/// <remarks>
/// The channel drops its oldest message when full rather than blocking, so a slow or stalled
/// client can never hold up a build that keeps the build queue's only slot.
/// </remarks>
internal sealed class ThrottledProgress : IProgress<BuildProgressInfo>
{
    private readonly ChannelWriter<BuildProgressInfo> _writer;
    private readonly long _intervalTicks;
    private readonly Lock _lock = new();
    private BuildProgressInfo? _held;
    private BuildPhase? _lastPhase;
    private long _lastSent;

    /// <summary>Creates a reporter that forwards at most <paramref name="perSecond"/> reports per second.</summary>
    public ThrottledProgress(ChannelWriter<BuildProgressInfo> writer, int perSecond)
    {
        _writer = writer;
        _intervalTicks = Stopwatch.Frequency / Math.Max(1, perSecond);
    }

    /// <summary>A bounded channel suited to this reporter (one writer, one reader, drop-oldest).</summary>
    public static Channel<BuildProgressInfo> CreateChannel() =>
        Channel.CreateBounded<BuildProgressInfo>(new BoundedChannelOptions(64)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });

    /// <inheritdoc />
    public void Report(BuildProgressInfo value)
    {
        if (value.Phase == BuildPhase.Done)
        {
            return;
        }

        lock (_lock)
        {
            long now = Stopwatch.GetTimestamp();
            bool phaseChanged = value.Phase != _lastPhase;
            if (phaseChanged && _held is not null)
            {
                _writer.TryWrite(_held);
            }

            if (phaseChanged || now - _lastSent >= _intervalTicks)
            {
                _writer.TryWrite(value);
                _held = null;
                _lastSent = now;
                _lastPhase = value.Phase;
            }
            else
            {
                _held = value;
            }
        }
    }

    /// <summary>Sends the report held back by the throttle (if any) and closes the channel.</summary>
    /// <param name="succeeded">False when the build failed: the held report is then stale and dropped.</param>
    public void Complete(bool succeeded)
    {
        lock (_lock)
        {
            if (succeeded && _held is not null)
            {
                _writer.TryWrite(_held);
            }

            _held = null;
            _writer.TryComplete();
        }
    }
}
