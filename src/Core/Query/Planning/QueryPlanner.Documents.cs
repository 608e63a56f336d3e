using DeepEverest.Core.Indexing;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Query.Planning;

/// <summary>Filters by document metadata over text datasets (docs/text.md, "Document metadata").</summary>
internal sealed partial class QueryPlanner
{
    /// <summary>Document rows read per MultiGet while matching metadata.</summary>
    private const int DocumentsPerRead = 4096;

    /// <summary>Most valid values a message lists (a key such as a president's name has hundreds).</summary>
    private const int ValuesListed = 20;

    /// <summary>
    /// The item ranges [start, end) of the documents that <see cref="QueryFilter.Documents"/> keeps,
    /// ascending; null when the filter has no document entries. A document's items are one
    /// contiguous id range, so the filter costs one read of each document row, not of each item.
    /// </summary>
    /// <exception cref="DeepEverestException">InvalidArgument naming filter.documents[i] for a dataset that is not text or has no such key or value.</exception>
    private static List<(long Start, long End)>? DocumentRanges(StoreReader store, LayerProbe probe, QueryFilter filter)
    {
        if (filter.Documents.Length == 0)
        {
            return null;
        }

        DatasetRecord dataset = probe.Dataset;
        if (dataset.Text is not { } text)
        {
            throw DeepEverestException.Invalid($"filter.documents applies to text datasets; dataset '{dataset.Name}' holds arrays (filter by labels, ids or id_range).");
        }

        if (text.Metadata.Count == 0)
        {
            throw DeepEverestException.Invalid($"filter.documents: dataset '{dataset.Name}' has no document metadata (import it with text.name_pattern to give its documents some).");
        }

        var wanted = new HashSet<string>[filter.Documents.Length];
        for (int e = 0; e < filter.Documents.Length; e++)
        {
            DocumentMatch match = filter.Documents[e];
            string field = $"filter.documents[{e}]";
            TextMetadataKey key = text.Metadata.FirstOrDefault(k => k.Key == match.Key)
                ?? throw DeepEverestException.Invalid($"{field}.key '{match.Key}' is not a metadata key of dataset '{dataset.Name}' (keys: {string.Join(", ", text.Metadata.Select(k => k.Key))}).");
            if (match.Values.Length == 0)
            {
                throw DeepEverestException.Invalid($"{field}.values is empty: give at least one value of '{match.Key}' ({Listed(key)}).");
            }

            var known = key.Values.ToHashSet(StringComparer.Ordinal);
            foreach (string value in match.Values)
            {
                if (!known.Contains(value) && !filter.LabelsOfSource)
                {
                    throw DeepEverestException.Invalid($"{field}.values: '{value}' is not a value of '{match.Key}' in dataset '{dataset.Name}' ({Listed(key)}).");
                }
            }

            wanted[e] = match.Values.ToHashSet(StringComparer.Ordinal);
        }

        var ranges = new List<(long Start, long End)>();
        int documents = (int)text.Documents;
        for (int first = 0; first < documents; first += DocumentsPerRead)
        {
            int[] ids = [.. Enumerable.Range(first, Math.Min(DocumentsPerRead, documents - first))];
            foreach (TextDocumentRow row in store.ReadTextDocuments(dataset, ids))
            {
                bool keep = true;
                for (int e = 0; e < wanted.Length && keep; e++)
                {
                    keep = row.Metadata.TryGetValue(filter.Documents[e].Key, out string? value) && wanted[e].Contains(value);
                }

                if (keep && row.Items > 0)
                {
                    ranges.Add((row.FirstItem, row.FirstItem + row.Items));
                }
            }
        }

        return ranges;
    }

    /// <summary>A key's values for a message: all of them, or the first few and how many more.</summary>
    private static string Listed(TextMetadataKey key) =>
        key.Values.Count <= ValuesListed
            ? $"values: {string.Join(", ", key.Values.Select(v => $"'{v}'"))}"
            : $"values: {string.Join(", ", key.Values.Take(ValuesListed).Select(v => $"'{v}'"))} and {key.Values.Count - ValuesListed} more (DatasetInfo.text.metadata lists them)";
}
