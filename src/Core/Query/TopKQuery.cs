using DeepEverest.Kernels;

namespace DeepEverest.Core.Query;

/// <summary>What a query asks for.</summary>
public enum QueryType
{
    /// <summary>The k inputs nearest to the target in the group's activation space.</summary>
    Similar,

    /// <summary>The k inputs with the highest aggregate activation of the group.</summary>
    Highest,
}

/// <summary>How the exact answer is computed (numbering of deepeverest.v1.Strategy).</summary>
public enum QueryStrategy
{
    /// <summary>Per-input bounds from partition codes, verified in bound order (default).</summary>
    Bounds = 1,

    /// <summary>The paper's NTA algorithm on the same index.</summary>
    Nta = 2,

    /// <summary>Run the model over every considered input.</summary>
    ReprocessAll = 3,

    /// <summary>Scan the layer's materialized activations.</summary>
    Materialized = 4,
}

/// <summary>The target of a query: a dataset input, a raw input (model input or stored units), or a token of raw text.</summary>
/// <param name="InputId">A dataset input id, or null.</param>
/// <param name="Tensor">A raw input of the dataset's input shape, or null.</param>
/// <param name="Shape">
/// The shape the caller gives the raw tensor; when set it must equal the dataset's input shape
/// (null: the caller already holds the dataset's shape, e.g. in-process benchmarks).
/// </param>
/// <param name="StoredUnits">
/// Whether <paramref name="Tensor"/> is in the dataset's stored units (the dataset's preprocessing is
/// applied, as to a stored input: <see cref="Datasets.InputPreprocessing.DecodeStoredValues"/>)
/// rather than the model's input (fed as given).
/// </param>
/// <param name="Text">
/// Raw text over a text dataset (docs/text.md, "Raw-text targets"), or null: tokenized with the
/// dataset's tokenizer and run as one window; <paramref name="Token"/> picks the target token.
/// </param>
/// <param name="Token">With <paramref name="Text"/>: the token's index among its WordPiece tokens, [CLS] not counted (0 = the first).</param>
public sealed record QueryTarget(long? InputId, float[]? Tensor, long[]? Shape = null, bool StoredUnits = false, string? Text = null, int Token = 0);

/// <summary>Restricts the considered inputs, before any inference.</summary>
/// <param name="Labels">Keep only these labels (empty = all).</param>
/// <param name="Ids">Keep only these ids (empty = all).</param>
/// <param name="RangeStart">Keep only ids &gt;= this (with <paramref name="RangeEnd"/>), or null.</param>
/// <param name="RangeEnd">Keep only ids &lt; this, or null.</param>
public sealed record QueryFilter(int[] Labels, long[] Ids, long? RangeStart, long? RangeEnd)
{
    /// <summary>No restriction.</summary>
    public static readonly QueryFilter None = new([], [], null, null);

    /// <summary>
    /// Keeps no input at all: an id filter of an input-range shard that names none of its ids (set
    /// by the engine's id translation; the other fields are then ignored, the labels still checked).
    /// </summary>
    public bool SelectsNothing { get; init; }

    /// <summary>
    /// The labels may be any of the whole source's: on an input-range shard a label that none of
    /// its inputs carries selects nothing instead of being refused (set by the id translation).
    /// </summary>
    public bool LabelsOfSource { get; init; }

    /// <summary>
    /// Text datasets: keep only the items of documents whose metadata matches every entry (any of
    /// its values); empty = all. Each key and value must be the dataset's, unless
    /// <see cref="LabelsOfSource"/> (an input-range shard), where an unknown value keeps nothing.
    /// </summary>
    public DocumentMatch[] Documents { get; init; } = [];
}

/// <summary>
/// One top-k query, as the engine runs it. Per-query settings only: nothing here is index state.
/// </summary>
/// <param name="Model">Model name.</param>
/// <param name="Dataset">Dataset name.</param>
/// <param name="Layer">Layer name.</param>
/// <param name="Type">Similar or highest.</param>
/// <param name="Target">Target (required for similar and for top-of-target groups).</param>
/// <param name="Group">The neuron group (null only in an incomplete request, which the planner refuses).</param>
/// <param name="K">Results wanted, 1..<see cref="QueryLimits.MaxK"/>.</param>
/// <param name="Score">Distance (similar) or aggregate (highest).</param>
/// <param name="Weights">Per-neuron weights in group order (similar only), or empty.</param>
/// <param name="IncludeTarget">Whether a dataset target may appear in its own answer.</param>
/// <param name="Filter">Input restriction.</param>
/// <param name="Strategy">Execution strategy.</param>
/// <param name="BatchSize">Most inputs verified per batch; 0 = the engine's default (<see cref="QueryEngineOptions.BatchSize"/>).</param>
/// <param name="UseCache">Whether the shared activation cache serves and keeps activations.</param>
/// <param name="FixedBatches">Verify in batches of exactly <paramref name="BatchSize"/> instead of
/// adaptive batches that start at one input and grow (see <c>VerificationBatches</c>); for comparisons.</param>
/// <param name="Limits">Limits a router sends while a shard answers its part of a routed query
/// (<see cref="ExternalLimits"/>); null for every other query. Only the bounds strategy reads them.</param>
public sealed record TopKQuery(
    string Model,
    string Dataset,
    string Layer,
    QueryType Type,
    QueryTarget? Target,
    GroupSpec? Group,
    int K,
    ScoreKind Score,
    float[] Weights,
    bool IncludeTarget,
    QueryFilter Filter,
    QueryStrategy Strategy = QueryLimits.DefaultStrategy,
    int BatchSize = 0,
    bool UseCache = true,
    bool FixedBatches = false,
    ExternalLimits? Limits = null);
