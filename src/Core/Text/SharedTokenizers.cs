using System.Collections.Concurrent;

namespace DeepEverest.Core.Text;

/// <summary>
/// Tokenizers loaded for raw-text targets, one per vocabulary (by its SHA-256 and case rule), kept
/// for the process's life: loading bert-base-uncased's 30,522 entries costs more than tokenizing a
/// window, and a service holds a handful of vocabularies at most. Thread-safe.
/// </summary>
internal static class SharedTokenizers
{
    private static readonly ConcurrentDictionary<string, Handle> _loaded = new(StringComparer.Ordinal);

    /// <summary>The tokenizer of a vocabulary, loaded by <paramref name="load"/> when not yet held.</summary>
    public static Handle Get(string vocabSha256, bool lowerCase, Func<WordPieceTokenizer> load)
    {
        string key = vocabSha256 + (lowerCase ? "/lower" : "/cased");
        if (_loaded.TryGetValue(key, out Handle? handle))
        {
            return handle;
        }

        // Loaded outside the dictionary so that a failed load is not kept.
        return _loaded.GetOrAdd(key, new Handle(load()));
    }

    /// <summary>A shared tokenizer; <see cref="WordPieceTokenizer"/> caches pieces, so calls are serialised.</summary>
    internal sealed class Handle(WordPieceTokenizer tokenizer)
    {
        private readonly Lock _gate = new();

        /// <summary>Tokenizes <paramref name="text"/> (<see cref="WordPieceTokenizer.Tokenize"/>).</summary>
        public List<TextToken> Tokenize(string text)
        {
            lock (_gate)
            {
                return tokenizer.Tokenize(text);
            }
        }
    }
}
