using System.Runtime.InteropServices;
using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Query.Activations;

/// <summary>
/// Where one query gets exact activations: the shared cache first, then inference of the misses in
/// batches. Counts what it inferred and what the cache served. Not thread-safe (one per query).
/// </summary>
public sealed class ActivationSource
{
    private readonly StoreReader _store;
    private readonly LayerProbe _probe;
    private readonly RunnerPool _runners;
    private readonly ActivationCache? _cache;
    private readonly string _cacheKey;
    private readonly int _elements;

    // Buffers reused by every batch of the query: rows of 200,704 floats (ResNet18's 56x56x64
    // stage) are 800 KB each, and allocating them per batch cost more than copying them.
    private float[] _rows = [];
    private float[] _inputs = [];
    private float[] _missed = [];

    // Over a text dataset without the shared cache: the rows of every token of the windows this
    // query ran, oldest dropped first past WindowRowsBytes. A window runs for all its tokens, and
    // a later batch's candidate in the same window would otherwise run it again (rows do not
    // depend on the batch, so a kept row is the row a rerun would give, bit for bit).
    private readonly Dictionary<int, float[]> _windowRows = [];
    private readonly Queue<int> _windowRowOrder = new();

    // The target's window is not counted (TargetRow), so its rows are not kept either: an item
    // served from them would count as inferred without a window run.
    private bool _targetRun;

    /// <summary>Creates a source; <paramref name="cache"/> null disables caching (the ReprocessAll baseline).</summary>
    public ActivationSource(StoreReader store, LayerProbe probe, RunnerPool runners, ActivationCache? cache)
    {
        _store = store;
        _probe = probe;
        _runners = runners;
        _cache = cache;
        _cacheKey = probe.Model.Sha256 + "\u001f" + probe.Dataset.Id + "\u001f" + probe.Layer.Name;
        _elements = StoreReader.InputElements(probe.Dataset);
    }

    /// <summary>Where the time of this query goes (reads, inference, the rest).</summary>
    public QueryProfile Profile { get; } = new();

    /// <summary>Inputs run through the model (token items, over a text dataset).</summary>
    public long Inferred { get; private set; }

    /// <summary>Windows run through the model, over a text dataset: the candidates of one window share one run.</summary>
    public long Windows { get; private set; }

    /// <summary>Real tokens of those windows (every token of a window is computed, candidate or not).</summary>
    public long Tokens { get; private set; }

    /// <summary>Inputs served by the cache.</summary>
    public long CacheHits { get; private set; }

    /// <summary>Full-layer activations of a raw model input (not counted, not cached).</summary>
    public float[] InferTensor(float[] tensor, CancellationToken cancellationToken)
    {
        if (_probe.IsText)
        {
            throw DeepEverestException.Invalid($"Dataset '{_probe.Dataset.Name}' is text: give the target as an item id (target.input_id); a raw tensor target is not supported for text.");
        }

        var row = new float[_probe.Neurons];
        _runners.Run(_store, _probe, tensor, 1, row, cancellationToken);
        return row;
    }

    /// <summary>
    /// Full-layer activations of a token of raw text over a text dataset (docs/text.md, "Raw-text
    /// targets"): the text is tokenized with the dataset's tokenizer and vocabulary and run alone as
    /// one window, <c>[CLS] tokens [SEP]</c>, as a stored window is; not counted, not cached.
    /// </summary>
    /// <param name="text">The text (non-empty, at most the dataset's window of tokens).</param>
    /// <param name="token">The target token's index among the text's tokens, [CLS] not counted.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="DeepEverestException">InvalidArgument naming target.text's field for an empty or too long text or a token out of range.</exception>
    public float[] InferText(string text, int token, CancellationToken cancellationToken)
    {
        if (!_probe.IsText)
        {
            throw DeepEverestException.Invalid($"target.text applies to text datasets; dataset '{_probe.Dataset.Name}' holds arrays: give target.input_id, target.tensor or target.stored_tensor.");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw DeepEverestException.Invalid("target.text.text is empty: give the text that holds the target token.");
        }

        int window = (int)_probe.Dataset.Text.WindowTokens;
        if (text.Length > MaxTargetChars)
        {
            throw DeepEverestException.Invalid($"target.text.text has {text.Length} characters; give at most {MaxTargetChars} (and at most {window} tokens, the window of dataset '{_probe.Dataset.Name}').");
        }

        List<Text.TextToken> tokens = _store.TextTokenizer(_probe.Dataset).Tokenize(text);
        if (tokens.Count == 0)
        {
            throw DeepEverestException.Invalid("target.text.text has no tokens (only control characters): give the text that holds the target token.");
        }

        if (tokens.Count > window)
        {
            throw DeepEverestException.Invalid($"target.text.text has {tokens.Count} tokens; dataset '{_probe.Dataset.Name}' runs windows of at most {window} (DatasetInfo.text.window_tokens): shorten the text around the target token.");
        }

        if (token < 0 || token >= tokens.Count)
        {
            throw DeepEverestException.Invalid($"target.text.token is {token}; the text has {tokens.Count} tokens: give 0..{tokens.Count - 1} (0 is the first token; [CLS] is not counted).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        int neurons = _probe.Neurons;
        var rows = new float[tokens.Count * neurons];
        _runners.RunWindows(_store, _probe, [tokens.Select(t => t.Id).ToArray()], rows, cancellationToken);
        return rows.AsSpan(token * neurons, neurons).ToArray();
    }

    /// <summary>
    /// Full-layer activations of one dataset input: the query's target, which is not counted in
    /// the statistics (they count the work of answering, which starts once the target is known).
    /// </summary>
    /// <remarks>Returns a fresh array (the caller keeps it).</remarks>
    public float[] TargetRow(int id, CancellationToken cancellationToken)
    {
        var row = new float[_probe.Neurons];
        (long inferred, long hits, long windows, long tokens) = (Inferred, CacheHits, Windows, Tokens);
        _targetRun = true;
        try
        {
            Rows([id], row, cancellationToken);
        }
        finally
        {
            _targetRun = false;
        }

        (Inferred, CacheHits, Windows, Tokens) = (inferred, hits, windows, tokens);
        return row;
    }

    /// <summary>Activations of the group's neurons for each id: ids.Length x group.Length, row-major.</summary>
    public void GroupRows(ReadOnlySpan<int> ids, int[] group, Span<float> destination, CancellationToken cancellationToken)
    {
        int neurons = _probe.Neurons;
        Span<float> rows = Scratch(ref _rows, (long)ids.Length * neurons);
        Rows(ids, rows, cancellationToken);
        for (int i = 0; i < ids.Length; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * neurons, neurons);
            Span<float> dest = destination.Slice(i * group.Length, group.Length);
            for (int j = 0; j < group.Length; j++)
            {
                dest[j] = row[group[j]];
            }
        }
    }

    /// <summary>Full-layer activations for each id: ids.Length x neurons, row-major.</summary>
    public void Rows(ReadOnlySpan<int> ids, Span<float> destination, CancellationToken cancellationToken)
    {
        int neurons = _probe.Neurons;
        var missing = new List<int>();
        var missingAt = new List<int>();
        for (int i = 0; i < ids.Length; i++)
        {
            float[]? cached = _cache?.TryGet(_cacheKey, ids[i]);
            if (cached is null && _windowRows.TryGetValue(ids[i], out float[]? kept))
            {
                // Computed by this query with its window: inferred, though its window runs once.
                kept.CopyTo(destination.Slice(i * neurons, neurons));
                Inferred++;
            }
            else if (cached is not null)
            {
                cached.CopyTo(destination.Slice(i * neurons, neurons));
                CacheHits++;
            }
            else
            {
                missing.Add(ids[i]);
                missingAt.Add(i);
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (_probe.IsText)
        {
            InferItems(missing, missingAt, destination, cancellationToken);
            return;
        }

        long started = QueryProfile.Start();
        Span<float> inputs = Scratch(ref _inputs, (long)missing.Count * _elements);
        _store.ReadInputs(_probe.Dataset, missing.ToArray(), inputs);
        Profile.InputReadMs += QueryProfile.Elapsed(started);

        // Without cache hits the model writes straight into the destination (no copy); otherwise
        // into a scratch buffer whose rows go to their places.
        bool direct = missing.Count == ids.Length;
        Span<float> rows = direct ? destination[..(missing.Count * neurons)] : Scratch(ref _missed, (long)missing.Count * neurons);
        started = QueryProfile.Start();
        _runners.Run(_store, _probe, inputs, missing.Count, rows, cancellationToken);
        Profile.InferenceMs += QueryProfile.Elapsed(started);
        Inferred += missing.Count;
        for (int m = 0; m < missing.Count; m++)
        {
            ReadOnlySpan<float> row = rows.Slice(m * neurons, neurons);
            if (!direct)
            {
                row.CopyTo(destination.Slice(missingAt[m] * neurons, neurons));
            }

            // The cache keeps its own copy (it must not change afterwards).
            _cache?.Add(_cacheKey, missing[m], row.ToArray());
        }
    }

    /// <summary>
    /// Computes token items of a text dataset: their windows run once each (however many of their
    /// items are asked for), sorted by length so a batch pads little, in groups of at most
    /// <see cref="TokensPerRun"/> tokens' rows.
    /// </summary>
    private void InferItems(List<int> missing, List<int> missingAt, Span<float> destination, CancellationToken cancellationToken)
    {
        int neurons = _probe.Neurons;
        long started = QueryProfile.Start();
        TextItemRow[] items = _store.ReadTextItems(_probe.Dataset, CollectionsMarshal.AsSpan(missing));
        int[] windowIds = [.. items.Select(i => i.Window).Distinct().Order()];
        TextWindowRow[] windows = _store.ReadTextWindows(_probe.Dataset, windowIds);
        Profile.InputReadMs += QueryProfile.Elapsed(started);
        int[] order = [.. Enumerable.Range(0, windows.Length).OrderBy(w => windows[w].TokenIds.Count).ThenBy(w => windowIds[w])];
        var offsetOf = new Dictionary<int, long>();
        var byWindow = items.Select((item, m) => (item, m)).ToLookup(x => x.item.Window);
        int cap = Math.Max(1, TokensPerRun(neurons));
        for (int first = 0; first < order.Length;)
        {
            // A group of windows whose rows fit the cap (at least one window).
            var group = new List<ReadOnlyMemory<long>>();
            long tokens = 0;
            int end = first;
            while (end < order.Length && (group.Count == 0 || tokens + windows[order[end]].TokenIds.Count <= cap))
            {
                TextWindowRow window = windows[order[end]];
                offsetOf[windowIds[order[end]]] = tokens;
                group.Add(window.TokenIds.ToArray());
                tokens += window.TokenIds.Count;
                end++;
            }

            cancellationToken.ThrowIfCancellationRequested();
            Span<float> rows = Scratch(ref _missed, tokens * neurons);
            started = QueryProfile.Start();
            _runners.RunWindows(_store, _probe, group, rows, cancellationToken);
            Profile.InferenceMs += QueryProfile.Elapsed(started);
            Windows += group.Count;
            Tokens += tokens;
            for (int w = first; w < end; w++)
            {
                int windowId = windowIds[order[w]];
                TextWindowRow window = windows[order[w]];
                foreach ((TextItemRow item, int m) in byWindow[windowId])
                {
                    rows.Slice((int)((offsetOf[windowId] + item.Position) * neurons), neurons).CopyTo(destination.Slice(missingAt[m] * neurons, neurons));
                }

                // Every token of the window was computed: the cache (or, without it, this query's
                // own rows) keeps them all, so a later candidate of the same context is a hit
                // rather than another run of its window.
                for (int p = 0; p < window.TokenIds.Count; p++)
                {
                    float[] row = rows.Slice((int)((offsetOf[windowId] + p) * neurons), neurons).ToArray();
                    if (_cache is not null)
                    {
                        _cache.Add(_cacheKey, (int)window.FirstItem + p, row);
                    }
                    else if (!_targetRun)
                    {
                        KeepWindowRow((int)window.FirstItem + p, row);
                    }
                }
            }

            first = end;
        }

        Inferred += missing.Count;
    }

    /// <summary>Longest raw-text target, in UTF-16 code units: far more than 510 tokens take, so only absurd input is refused before tokenizing.</summary>
    private const int MaxTargetChars = 1 << 16;

    /// <summary>Most bytes of rows <see cref="KeepWindowRow"/> keeps per query: 64 MiB.</summary>
    private const long WindowRowsBytes = 64L << 20;

    /// <summary>Keeps a token's row for the rest of the query, dropping the oldest past <see cref="WindowRowsBytes"/>.</summary>
    private void KeepWindowRow(int item, float[] row)
    {
        if (!_windowRows.TryAdd(item, row))
        {
            return;
        }

        _windowRowOrder.Enqueue(item);
        while ((long)_windowRows.Count * row.Length * sizeof(float) > WindowRowsBytes)
        {
            _windowRows.Remove(_windowRowOrder.Dequeue());
        }
    }

    /// <summary>Most token rows one run of windows computes: 64 MiB of floats (a 510-token window of a 1536-wide layer is 3 MiB).</summary>
    private static int TokensPerRun(int neurons) => (64 << 20) / (neurons * sizeof(float));

    /// <summary>A reusable buffer of at least <paramref name="length"/> floats (grown, never shrunk, per query).</summary>
    private static Span<float> Scratch(ref float[] buffer, long length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer.AsSpan(0, (int)length);
    }
}
