using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Query.Planning;

/// <summary>
/// The one translation between the input ids of the API (global: an input-range shard holding the
/// source's ids [start, end) answers with those ids) and the positions 0..count-1 the store, the
/// index and the strategies use. Requests go through <see cref="ToLocal(TopKQuery)"/> when planned,
/// updates through <see cref="ToGlobal"/> as they leave the engine. A whole dataset (start 0,
/// nothing beyond its count) translates nothing, so its requests, answers and messages are exactly
/// those of a store without shards.
/// </summary>
internal sealed class InputIdSpace
{
    private readonly string _dataset;

    private InputIdSpace(string dataset, long start, long count, long total)
    {
        _dataset = dataset;
        Start = start;
        End = start + count;
        Total = total;
    }

    /// <summary>Global id of the dataset's first input.</summary>
    public long Start { get; }

    /// <summary>Global id past its last input.</summary>
    public long End { get; }

    /// <summary>Inputs of the whole source: global ids run 0..Total-1.</summary>
    public long Total { get; }

    /// <summary>Whether the dataset is a whole source (ids need no translation).</summary>
    public bool IsWhole => Start == 0 && End == Total;

    /// <summary>The id space of <paramref name="dataset"/>.</summary>
    public static InputIdSpace Of(DatasetRecord dataset)
    {
        long end = dataset.IdStart + dataset.Count;
        return new InputIdSpace(dataset.Name, dataset.IdStart, dataset.Count, Math.Max(dataset.TotalCount, end));
    }

    /// <summary>
    /// A query with its target id and filter in local positions (see <see cref="LocalId"/> and
    /// <see cref="LocalFilter"/>).
    /// </summary>
    public TopKQuery ToLocal(TopKQuery query) => IsWhole ? query : query with
    {
        Target = ToLocal(query.Target, "target.input_id"),
        Filter = LocalFilter(query.Filter),
    };

    /// <summary>A target with its input id, if any, in local positions.</summary>
    public QueryTarget? ToLocal(QueryTarget? target, string field) =>
        IsWhole || target?.InputId is not { } id ? target : target with { InputId = LocalId(id, field) };

    /// <summary>
    /// The local position of global id <paramref name="id"/>, which this shard must hold: an id
    /// outside the source is InvalidArgument; an id of the source that another shard holds is
    /// FailedPrecondition naming this shard's range (a router sends such a target as a tensor).
    /// </summary>
    /// <param name="id">A global id.</param>
    /// <param name="field">The request field, for messages.</param>
    /// <param name="outside">The status of an id outside the source (as a whole dataset answers it).</param>
    public long LocalId(long id, string field, ErrorKind outside = ErrorKind.InvalidArgument)
    {
        if (IsWhole)
        {
            return id;
        }

        if (id < 0 || id >= Total)
        {
            throw new DeepEverestException(outside, $"{field} {id} is out of range: dataset '{_dataset}' has ids 0..{Total - 1}.");
        }

        if (id < Start || id >= End)
        {
            throw DeepEverestException.Precondition(
                $"{field} {id} is not on this shard: it holds ids [{Start}, {End}) of dataset '{_dataset}' (ids 0..{Total - 1}). Give the input as target.stored_tensor, or ask the shard that holds it.");
        }

        return id - Start;
    }

    /// <summary>
    /// A filter in local positions. Ids and id ranges are checked against the whole source (the
    /// same rules as a whole dataset: InvalidArgument outside 0..Total-1), then cut to this shard:
    /// ids another shard holds are dropped, and a filter left with none of this shard's ids selects
    /// nothing (<see cref="QueryFilter.SelectsNothing"/>), which is an empty answer, not an error.
    /// </summary>
    public QueryFilter LocalFilter(QueryFilter filter)
    {
        if (IsWhole)
        {
            return filter;
        }

        bool nothing = false;
        long[] ids = filter.Ids;
        if (ids.Length > 0)
        {
            foreach (long id in ids)
            {
                if (id < 0 || id >= Total)
                {
                    throw DeepEverestException.Invalid($"filter.ids: id {id} is out of range: dataset '{_dataset}' has ids 0..{Total - 1}.");
                }
            }

            ids = [.. ids.Where(id => id >= Start && id < End).Select(id => id - Start)];
            nothing |= ids.Length == 0;
        }

        long? rangeStart = null;
        long? rangeEnd = null;
        if (filter.RangeStart is not null || filter.RangeEnd is not null)
        {
            long start = filter.RangeStart ?? 0;
            long end = filter.RangeEnd ?? Total;
            if (start < 0 || end > Total || start >= end)
            {
                throw DeepEverestException.Invalid($"filter.id_range [{start}, {end}) must be non-empty and within the ids of dataset '{_dataset}', [0, {Total}).");
            }

            long from = Math.Max(start, Start);
            long to = Math.Min(end, End);
            nothing |= from >= to;
            if (from < to)
            {
                (rangeStart, rangeEnd) = (from - Start, to - Start);
            }
        }

        return new QueryFilter(filter.Labels, ids, rangeStart, rangeEnd) { SelectsNothing = nothing, LabelsOfSource = true, Documents = filter.Documents };
    }

    /// <summary>An update with its hits' ids global.</summary>
    public TopKUpdateInfo ToGlobal(TopKUpdateInfo update) => IsWhole ? update : update with
    {
        Hits = [.. update.Hits.Select(h => h with { InputId = checked((int)(h.InputId + Start)) })],
    };
}
