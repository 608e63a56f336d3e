using System.Diagnostics;
using System.Threading.Channels;
using DeepEverest.Contracts.V1;
using DeepEverest.Core.Datasets;

namespace DeepEverest.IndexService;

/// <summary>
/// Carries an import's progress (reported on the import's thread) to the RPC that streams it: at
/// most a given number of messages per second, always the one that completes a part, through a
/// small channel that drops its oldest message when the client reads slowly, so a stalled client
/// never holds up the import.
/// </summary>
internal sealed class ImportProgressRelay : IProgress<DatasetImportProgress>
{
    private readonly Channel<DatasetImportProgress> _channel = Channel.CreateBounded<DatasetImportProgress>(new BoundedChannelOptions(16)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
        SingleWriter = true,
    });

    private readonly long _intervalTicks;
    private long _lastSent = long.MinValue;
    private int _lastParts = -1;

    /// <summary>Creates a relay that forwards at most <paramref name="perSecond"/> reports per second.</summary>
    public ImportProgressRelay(int perSecond) => _intervalTicks = Stopwatch.Frequency / Math.Max(1, perSecond);

    /// <summary>The messages to stream, until <see cref="Complete"/>.</summary>
    public ChannelReader<DatasetImportProgress> Reader => _channel.Reader;

    /// <inheritdoc />
    public void Report(DatasetImportProgress value)
    {
        long now = Stopwatch.GetTimestamp();
        if (value.PartsDone != _lastParts || now - _lastSent >= _intervalTicks)
        {
            _channel.Writer.TryWrite(value);
            _lastSent = now;
            _lastParts = value.PartsDone;
        }
    }

    /// <summary>Ends the stream of messages.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>The API form of a report, with an estimate of the time left from the bytes read so far.</summary>
    public static ImportProgress ToMessage(DatasetImportProgress p)
    {
        long elapsedMs = (long)p.Elapsed.TotalMilliseconds;
        long remaining = p.BytesDone > 0 && elapsedMs >= 500
            ? (long)(elapsedMs * (double)(p.BytesTotal - p.BytesDone) / p.BytesDone)
            : -1;
        return new ImportProgress
        {
            PartsDone = p.PartsDone,
            PartsTotal = p.PartsTotal,
            InputsDone = p.InputsDone,
            InputsTotal = p.InputsTotal,
            BytesDone = p.BytesDone,
            BytesTotal = p.BytesTotal,
            ElapsedMs = elapsedMs,
            EstimatedRemainingMs = p.PartsDone == p.PartsTotal ? 0 : remaining,
            Message = p.PartsDone == p.PartsTotal ? "committing" : $"reading {p.PartName} {p.PartsDone + 1} of {p.PartsTotal}",
        };
    }
}
