using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Storage;

/// <summary>
/// Appends inputs of a dataset being imported; nothing is visible until <see cref="Commit"/>.
/// Disposing without committing removes what was written.
/// </summary>
public sealed class DatasetWriter : IDisposable
{
    private readonly StoreWriter _store;
    private readonly DatasetRecord _record;
    private readonly int _inputBytes;
    private readonly List<int> _labels = [];
    private bool _anyLabels;
    private bool _anyUnlabelled;
    private bool _committed;

    internal DatasetWriter(StoreWriter store, DatasetRecord record)
    {
        _store = store;
        _record = record;
        _inputBytes = StoreReader.InputBytes(record);
    }

    /// <summary>Inputs written so far.</summary>
    public long Count => _record.Count;

    /// <summary>
    /// Appends inputs (a whole number of stored inputs, as raw bytes) with their labels (one per
    /// input) or none.
    /// </summary>
    public void Append(ReadOnlySpan<byte> inputs, ReadOnlySpan<int> labels)
    {
        if (inputs.Length % _inputBytes != 0)
        {
            throw new ArgumentException($"Inputs must be a multiple of {_inputBytes} bytes.", nameof(inputs));
        }

        int count = inputs.Length / _inputBytes;
        if (!labels.IsEmpty && labels.Length != count)
        {
            throw DeepEverestException.Invalid($"Got {labels.Length} labels for {count} inputs.");
        }

        if (_record.Count + count > int.MaxValue)
        {
            throw DeepEverestException.Invalid("A dataset holds at most 2^31-1 inputs.");
        }

        _store.WriteInputs(_record.Id, (int)_record.Count, inputs, _inputBytes);
        if (labels.IsEmpty)
        {
            _anyUnlabelled |= count > 0;
            for (int i = 0; i < count; i++)
            {
                _labels.Add(-1);
            }
        }
        else
        {
            _anyLabels = true;
            foreach (int label in labels)
            {
                _labels.Add(label);
            }
        }

        _record.Count += count;
        _record.StoredBytes += inputs.Length;
    }

    /// <summary>
    /// Appends rows of a text dataset (items, windows, documents; docs/text.md), of which
    /// <paramref name="items"/> are new token items.
    /// </summary>
    internal void AppendTextRows(IReadOnlyList<(int Key, byte[] Value)> rows, int items)
    {
        if (_record.Count + items > int.MaxValue)
        {
            throw DeepEverestException.Invalid("A dataset holds at most 2^31-1 token items.");
        }

        _store.WriteDatasetRows(_record.Id, rows);
        _record.Count += items;
        _record.StoredBytes += rows.Sum(r => (long)r.Value.Length);
    }

    /// <summary>Marks the dataset as text, with how it was cut and how it feeds a model.</summary>
    internal void SetText(TextDatasetInfo text)
    {
        _record.Text = text;
        _record.InputShape.Clear();
        _record.ElementType = 0;
    }

    /// <summary>Names labels in the record it will publish (already checked by the caller).</summary>
    internal void SetLabelNames(IReadOnlyDictionary<int, string> names)
    {
        _record.LabelNames.Clear();
        _record.LabelNames.Add(names.ToDictionary());
    }

    /// <summary>
    /// Records that the inputs are the global ids [<paramref name="start"/>, start + count) of a
    /// source of <paramref name="total"/> inputs (an input-range shard; 0 and the count for a whole
    /// dataset).
    /// </summary>
    internal void SetIdRange(long start, long total)
    {
        _record.IdStart = start;
        _record.TotalCount = total;
    }

    /// <summary>Publishes the dataset (replacing one of the same name) and returns its record.</summary>
    public DatasetRecord Commit()
    {
        if (_record.Count == 0)
        {
            throw DeepEverestException.Invalid($"Dataset '{_record.Name}' would be empty: the files hold no inputs.");
        }

        if (_anyLabels && _anyUnlabelled)
        {
            throw DeepEverestException.Invalid("Either every part of a dataset has labels or none has.");
        }

        int[]? labels = _anyLabels ? [.. _labels] : null;
        _record.HasLabels = labels is not null;
        if (labels is not null)
        {
            _record.DistinctLabels.AddRange(labels.Distinct().Order());
        }

        _store.CommitDataset(_record, labels);
        _committed = true;
        return _record;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_committed)
        {
            _store.AbortDataset(_record.Id);
        }
    }
}
