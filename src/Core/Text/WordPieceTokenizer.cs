using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FastBertTokenizer;

namespace DeepEverest.Core.Text;

/// <summary>
/// BERT WordPiece tokenization with character offsets: FastBertTokenizer gives the ids (it matches
/// the reference BERT tokenizer on symbols, accents and punctuation) but no offsets, so the text is
/// first cut where BERT's basic tokenizer cuts it (whitespace, each punctuation character, each
/// CJK character) and each piece is encoded on its own. WordPiece never crosses those cuts, so the
/// ids are the ones of encoding the whole text (a test checks it on Moby Dick).
/// </summary>
internal sealed class WordPieceTokenizer
{
    /// <summary>The one tokenizer name text imports accept today.</summary>
    public const string BertWordPiece = "bert-wordpiece";

    private readonly BertTokenizer _tokenizer = new();
    private readonly string[] _vocabulary;
    private readonly Dictionary<string, long[]> _pieces = new(StringComparer.Ordinal);

    private WordPieceTokenizer(string[] vocabulary, bool lowerCase, string sha256)
    {
        _vocabulary = vocabulary;
        LowerCase = lowerCase;
        VocabSha256 = sha256;
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Length; i++)
        {
            ids.TryAdd(vocabulary[i], i);
        }

        ClsId = Require(ids, "[CLS]");
        SepId = Require(ids, "[SEP]");
        PadId = Require(ids, "[PAD]");
        Require(ids, "[UNK]");
        using var reader = new StringReader(string.Join('\n', vocabulary));
        _tokenizer.LoadVocabulary(reader, lowerCase);
    }

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public long ClsId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public long SepId { get; }

    /// <summary>Id of <c>[PAD]</c>.</summary>
    public long PadId { get; }

    /// <summary>Whether the text is lower-cased (and accents stripped) before WordPiece.</summary>
    public bool LowerCase { get; }

    /// <summary>SHA-256 (hex) of the vocabulary file.</summary>
    public string VocabSha256 { get; }

    /// <summary>
    /// Loads a vocabulary file (one token per line, the id is the line number).
    /// </summary>
    /// <param name="vocabulary">The file's bytes (UTF-8).</param>
    /// <param name="field">The request field that named the file, for messages.</param>
    /// <param name="lowerCase">Lower-case the text first (bert-base-uncased and its descendants).</param>
    /// <exception cref="DeepEverestException">InvalidArgument naming <paramref name="field"/> when the file is not a WordPiece vocabulary.</exception>
    public static WordPieceTokenizer Load(byte[] vocabulary, string field, bool lowerCase = true)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(vocabulary);
        }
        catch (DecoderFallbackException)
        {
            throw DeepEverestException.Invalid($"{field} is not UTF-8 text: a WordPiece vocabulary has one token per line.");
        }

        string[] lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        if (lines.Length > 0 && lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        try
        {
            return new WordPieceTokenizer(lines, lowerCase, Convert.ToHexStringLower(SHA256.HashData(vocabulary)));
        }
        catch (KeyNotFoundException e)
        {
            throw DeepEverestException.Invalid($"{field} is not a BERT WordPiece vocabulary: {e.Message}.");
        }
    }

    /// <summary>The vocabulary entry of <paramref name="id"/> (e.g. <c>whale</c>, <c>##ing</c>).</summary>
    public string Token(long id) => id >= 0 && id < _vocabulary.Length ? _vocabulary[id] : "[UNK]";

    /// <summary>
    /// Tokenizes <paramref name="text"/> without special tokens. Each token's offsets are the
    /// characters (UTF-16 code units) it came from: a word split into several pieces gives each
    /// piece its own characters when their lengths add up to the word's (the usual case), else the
    /// whole word.
    /// </summary>
    public List<TextToken> Tokenize(string text)
    {
        var tokens = new List<TextToken>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (IsWhitespace(c))
            {
                i++;
                continue;
            }

            int start = i;
            if (IsPunctuation(c) || IsCjk(c))
            {
                i++;
            }
            else
            {
                while (i < text.Length && !IsWhitespace(text[i]) && !IsPunctuation(text[i]) && !IsCjk(text[i]))
                {
                    i++;
                }
            }

            AddPiece(text, start, i, tokens);
        }

        return tokens;
    }

    private void AddPiece(string text, int start, int end, List<TextToken> tokens)
    {
        string piece = text[start..end];
        if (!_pieces.TryGetValue(piece, out long[]? ids))
        {
            string folded = LowerCase ? StripAccents(piece) : piece;
            var (inputIds, _, _) = _tokenizer.Encode(folded, folded.Length + 2);

            // Encode wraps the ids in [CLS] ... [SEP].
            ids = inputIds.Span[1..^1].ToArray();
            _pieces[piece] = ids;
        }

        if (ids.Length == 1)
        {
            tokens.Add(new TextToken(ids[0], start, end));
            return;
        }

        int total = ids.Sum(id => Surface(id).Length);
        int at = start;
        foreach (long id in ids)
        {
            if (total == end - start)
            {
                int length = Surface(id).Length;
                tokens.Add(new TextToken(id, at, at + length));
                at += length;
            }
            else
            {
                tokens.Add(new TextToken(id, start, end));
            }
        }
    }

    /// <summary>The characters a token stands for: a continuation piece without its <c>##</c>; [UNK] none known.</summary>
    private string Surface(long id)
    {
        string token = Token(id);
        return token == "[UNK]" ? string.Empty : token.StartsWith("##", StringComparison.Ordinal) ? token[2..] : token;
    }

    /// <summary>
    /// Strips accents as uncased BERT does (NFD, then drop combining marks). The services run with
    /// invariant globalization, where .NET cannot decompose, and FastBertTokenizer would then
    /// leave "café" whole and map it to [UNK]: so precomposed Latin letters (U+00C0-U+024F) are
    /// mapped to their base letter here, and combining marks dropped. Other scripts' accented
    /// letters are left as they are.
    /// </summary>
    internal static string StripAccents(string piece)
    {
        if (piece.All(char.IsAscii))
        {
            return piece;
        }

        var folded = new StringBuilder(piece.Length);
        foreach (char c in piece)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            int at = c is >= '\u00C0' and <= '\u024F' ? AccentedLatin.IndexOf(c) : -1;
            folded.Append(at >= 0 ? BaseLatin[at] : c);
        }

        return folded.ToString();
    }

    /// <summary>Precomposed Latin letters with a one-letter NFD base (generated with Python's unicodedata).</summary>
    private const string AccentedLatin =
        "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ";

    /// <summary>The base letter of each of <see cref="AccentedLatin"/>, at the same index.</summary>
    private const string BaseLatin =
        "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy";

    private static long Require(Dictionary<string, long> ids, string token) =>
        ids.TryGetValue(token, out long id) ? id : throw new KeyNotFoundException($"it has no {token} line");

    /// <summary>BERT's whitespace: space, tab, newline, carriage return, and Unicode space separators.</summary>
    private static bool IsWhitespace(char c) =>
        c is ' ' or '\t' or '\n' or '\r' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator;

    /// <summary>BERT's punctuation: every non-alphanumeric ASCII symbol, and Unicode punctuation (P*).</summary>
    private static bool IsPunctuation(char c)
    {
        if (c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~'))
        {
            return true;
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>BERT's CJK ideographs of the Basic Multilingual Plane, each of which is a word of its own.</summary>
    private static bool IsCjk(char c) =>
        c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF') or (>= '\uF900' and <= '\uFAFF');
}
