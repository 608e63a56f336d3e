using DeepEverest.Core.Query.Planning;
using DeepEverest.Core.Storage;
using DeepEverest.Core.Storage.Records;

namespace DeepEverest.Core.Query;

/// <summary>
/// Reads the context of token items (document, window, token, text) from one snapshot of a text
/// dataset, and puts it on the hits of a query's updates as they leave the engine. The same hits
/// come back update after update, so each item, window and document is read once per query.
/// </summary>
internal sealed class TextContexts
{
    private readonly StoreReader _snapshot;
    private readonly DatasetRecord _dataset;
    private readonly InputIdSpace _ids;
    private readonly Dictionary<int, TextItemInfo> _hits = [];
    private readonly Dictionary<int, string> _documents = [];

    /// <summary>Contexts of <paramref name="dataset"/>'s items (a text dataset) read from <paramref name="snapshot"/>.</summary>
    public TextContexts(StoreReader snapshot, DatasetRecord dataset)
    {
        _snapshot = snapshot;
        _dataset = dataset;
        _ids = InputIdSpace.Of(dataset);
    }

    /// <summary>The items of <paramref name="localIds"/> with their whole windows, in order.</summary>
    /// <exception cref="DeepEverestException">NotFound for an id out of range or a row missing.</exception>
    public TextItemInfo[] Read(ReadOnlySpan<int> localIds)
    {
        TextItemRow[] items = _snapshot.ReadTextItems(_dataset, localIds);
        int[] windowIds = [.. items.Select(i => i.Window).Distinct()];
        TextWindowRow[] windowRows = _snapshot.ReadTextWindows(_dataset, windowIds);
        var windows = new Dictionary<int, TextWindowRow>(windowIds.Length);
        for (int w = 0; w < windowIds.Length; w++)
        {
            windows[windowIds[w]] = windowRows[w];
        }

        var infos = new TextItemInfo[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            TextItemRow item = items[i];
            TextWindowRow window = windows[item.Window];
            if (!_documents.TryGetValue(item.Document, out string? name))
            {
                name = _snapshot.ReadTextDocument(_dataset, item.Document).Name;
                _documents[item.Document] = name;
            }

            infos[i] = new TextItemInfo(_ids.Start + localIds[i], item.Document, name, item.Window, item.Position, item.Token, item.CharStart, item.CharEnd, window.Text, window.TextStart);
        }

        return infos;
    }

    /// <summary>
    /// <paramref name="updates"/> (local ids) with each hit's context, an extract of its window
    /// (<see cref="TextItemInfo.Around"/>), provisional hits included.
    /// </summary>
    public IEnumerable<TopKUpdateInfo> Attach(IEnumerable<TopKUpdateInfo> updates)
    {
        foreach (TopKUpdateInfo update in updates)
        {
            int[] missing = [.. update.Hits.Select(h => h.InputId).Where(id => !_hits.ContainsKey(id)).Distinct()];
            if (missing.Length > 0)
            {
                TextItemInfo[] read = Read(missing);
                for (int i = 0; i < missing.Length; i++)
                {
                    _hits[missing[i]] = read[i].Around(TextItemInfo.HitContextChars);
                }
            }

            yield return update with { Hits = [.. update.Hits.Select(h => h with { Text = _hits[h.InputId] })] };
        }
    }
}
