using DeepEverest.Core.Storage;

namespace DeepEverest.Core;

/// <summary>
/// The one rule for names a request leaves empty (deepeverest.v1.LayerRef): an empty model or
/// dataset name means the only registered model or imported dataset; with none or several the
/// request is refused with the names to choose from. The CLI's <c>--model</c>/<c>--dataset</c>
/// defaults follow the same rule.
/// </summary>
public static class CatalogDefaults
{
    /// <summary><paramref name="name"/> when set, else the only registered model.</summary>
    /// <param name="store">The store to look in.</param>
    /// <param name="name">The name given, possibly empty.</param>
    /// <param name="field">The request field, for the message (e.g. "layer.model").</param>
    public static string Model(StoreReader store, string? name, string field) =>
        !string.IsNullOrEmpty(name) ? name : OnlyOne(store.ListModels().Select(m => m.Name).ToList(), field, "model", "IndexService.AddModel");

    /// <summary><paramref name="name"/> when set, else the only imported dataset.</summary>
    /// <param name="store">The store to look in.</param>
    /// <param name="name">The name given, possibly empty.</param>
    /// <param name="field">The request field, for the message (e.g. "layer.dataset").</param>
    public static string Dataset(StoreReader store, string? name, string field) =>
        !string.IsNullOrEmpty(name) ? name : OnlyOne(store.ListDatasets().Select(d => d.Name).ToList(), field, "dataset", "IndexService.ImportDataset");

    private static string OnlyOne(List<string> names, string field, string what, string howToAdd) => names.Count switch
    {
        1 => names[0],
        0 => throw DeepEverestException.Precondition($"{field} is empty and no {what} is registered: add one with {howToAdd}."),
        _ => throw DeepEverestException.Invalid($"{field} is empty and {names.Count} {what}s are registered ({string.Join(", ", names)}): name one."),
    };
}
