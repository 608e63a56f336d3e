using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeepEverest.Hosting.Security;

/// <summary>
/// The API keys a service accepts (<see cref="AuthOptions"/>), and the check of a presented key.
/// Keys are kept only as SHA-256 digests and compared in constant time, every one of them on
/// every check, so neither the time nor the logs tell anything about a key. The key file is
/// re-read (at most every <see cref="FileCheckInterval"/>) when its time stamp or size changes;
/// a file that no longer parses is logged and the keys read before stay in force. The interval is
/// measured on the injected <see cref="TimeProvider"/> (tests advance a fake one).
/// </summary>
internal sealed class ApiKeyStore
{
    /// <summary>How often a call may look at the key file for changes.</summary>
    public static readonly TimeSpan FileCheckInterval = TimeSpan.FromSeconds(2);

    private const string BearerPrefix = "Bearer ";

    private readonly ILogger<ApiKeyStore> _logger;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<StoredKey> _configured;
    private readonly string? _file;
    private readonly Lock _reloadLock = new();
    private volatile StoredKey[] _keys;
    private (DateTime Written, long Length) _fileStamp;
    private long _nextFileCheck;

    /// <summary>Reads and checks the keys; throws <see cref="InvalidOperationException"/> naming the setting at fault.</summary>
    public ApiKeyStore(IOptions<AuthOptions> options, TimeProvider time, ILogger<ApiKeyStore> logger)
    {
        _logger = logger;
        _time = time;
        AuthOptions auth = options.Value;
        bool configured = auth.Keys.Count > 0 || !string.IsNullOrWhiteSpace(auth.ApiKeysFile);
        Enabled = auth.Enabled ?? configured;
        MetricsRequireKey = Enabled && auth.MetricsRequireKey;
        _configured = auth.Keys.Select(pair => FromSettings(pair.Key, pair.Value)).ToList();
        _file = string.IsNullOrWhiteSpace(auth.ApiKeysFile) ? null : Path.GetFullPath(auth.ApiKeysFile);
        List<StoredKey> fromFile = [];
        if (_file is not null)
        {
            _fileStamp = Stamp(_file);
            fromFile = ReadFile(_file);
        }

        _keys = Combine(_configured, fromFile);
        if (!Enabled)
        {
            if (configured)
            {
                HostingLog.AuthDisabledWithKeys(logger, AuthOptions.SectionName);
            }

            return;
        }

        if (_keys.Length == 0)
        {
            throw new InvalidOperationException(
                $"{AuthOptions.SectionName}:Enabled is true but no API key is configured: set {AuthOptions.SectionName}:Keys:<id>:Key and :Role, or {AuthOptions.SectionName}:ApiKeysFile.");
        }

        _nextFileCheck = NextFileCheck(_time.GetTimestamp());
    }

    /// <summary>Whether calls need a key.</summary>
    public bool Enabled { get; }

    /// <summary>Whether <c>/metrics</c> needs a key (only when <see cref="Enabled"/>).</summary>
    public bool MetricsRequireKey { get; }

    /// <summary>Ids of the keys in force (for the start-up log and tests).</summary>
    public IReadOnlyList<string> KeyIds => _keys.Select(key => key.Id).ToList();

    /// <summary>
    /// Checks an <c>authorization</c> header value. Returns the key's identity; null with
    /// <paramref name="missing"/> true when no credentials were sent, null with it false when the
    /// header is malformed or names no key.
    /// </summary>
    public ApiKeyIdentity? Authenticate(string? authorization, out bool missing)
    {
        missing = string.IsNullOrEmpty(authorization);
        if (missing || !authorization!.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        ReloadIfChanged();
        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization.AsSpan(BearerPrefix.Length).Trim().ToString()));
        StoredKey? found = null;
        foreach (StoredKey key in _keys)
        {
            // Every key is compared, in constant time: the time taken does not depend on which key
            // (if any) matched, nor on how much of one did.
            if (CryptographicOperations.FixedTimeEquals(presented, key.Hash))
            {
                found ??= key;
            }
        }

        return found is null ? null : new ApiKeyIdentity(found.Id, found.Role);
    }

    /// <summary>Parses a role name (<c>read</c> or <c>admin</c>, any case).</summary>
    public static ApiKeyRole? ParseRole(string role) => role.Trim().ToLowerInvariant() switch
    {
        "read" => ApiKeyRole.Read,
        "admin" => ApiKeyRole.Admin,
        _ => null,
    };

    /// <summary>The default id of a key from the file: <c>key-</c> and the first 8 hex digits of its SHA-256.</summary>
    public static string DefaultId(string key) => "key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    private static StoredKey FromSettings(string id, ApiKeyEntry entry)
    {
        string where = $"{AuthOptions.SectionName}:Keys:{id}";
        CheckId(id, where);
        ApiKeyRole role = ParseRole(entry.Role)
            ?? throw new InvalidOperationException($"{where}:Role must be read or admin.");
        CheckKey(entry.Key, $"{where}:Key");
        return new StoredKey(id, role, SHA256.HashData(Encoding.UTF8.GetBytes(entry.Key)));
    }

    private static List<StoredKey> ReadFile(string path)
    {
        string setting = $"{AuthOptions.SectionName}:ApiKeysFile";
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{setting}: cannot read '{path}': {e.GetType().Name}.", e);
        }

        var keys = new List<StoredKey>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // The line holds a secret: messages name the line, never its text.
            string where = $"{setting} line {i + 1}";
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length is < 2 or > 3)
            {
                throw new InvalidOperationException($"{where}: expected '<role> <key> [<id>]' (role read or admin), found {fields.Length} field(s).");
            }

            ApiKeyRole role = ParseRole(fields[0])
                ?? throw new InvalidOperationException($"{where}: the role (first field) must be read or admin.");
            CheckKey(fields[1], where);
            string id = fields.Length == 3 ? fields[2] : DefaultId(fields[1]);
            CheckId(id, where);
            keys.Add(new StoredKey(id, role, SHA256.HashData(Encoding.UTF8.GetBytes(fields[1]))));
        }

        return keys;
    }

    private static StoredKey[] Combine(IReadOnlyList<StoredKey> configured, List<StoredKey> fromFile)
    {
        StoredKey[] all = [.. configured, .. fromFile];
        string? duplicateId = all.GroupBy(key => key.Id, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1)?.Key;
        if (duplicateId is not null)
        {
            throw new InvalidOperationException($"{AuthOptions.SectionName}: the key id '{duplicateId}' is used twice; ids name keys in logs and limits and must be unique.");
        }

        StoredKey? reused = all.GroupBy(key => Convert.ToHexString(key.Hash)).FirstOrDefault(group => group.Count() > 1)?.First();
        if (reused is not null)
        {
            throw new InvalidOperationException($"{AuthOptions.SectionName}: the key of id '{reused.Id}' is configured twice; give each client its own key.");
        }

        return all;
    }

    private static void CheckKey(string key, string where)
    {
        if (string.IsNullOrEmpty(key) || key.Length < AuthOptions.MinKeyLength || key.Any(char.IsWhiteSpace))
        {
            throw new InvalidOperationException(
                $"{where}: a key needs at least {AuthOptions.MinKeyLength} characters and no whitespace (e.g. `openssl rand -hex 32`).");
        }
    }

    private static void CheckId(string id, string where)
    {
        if (id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new InvalidOperationException($"{where}: a key id needs 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'.");
        }
    }

    private static (DateTime Written, long Length) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    private long NextFileCheck(long now) => now + (long)(FileCheckInterval.TotalSeconds * _time.TimestampFrequency);

    private void ReloadIfChanged()
    {
        long now = _time.GetTimestamp();
        if (_file is null || now < Volatile.Read(ref _nextFileCheck) || !_reloadLock.TryEnter())
        {
            return;
        }

        try
        {
            Volatile.Write(ref _nextFileCheck, NextFileCheck(now));
            (DateTime Written, long Length) stamp = Stamp(_file);
            if (stamp == _fileStamp)
            {
                return;
            }

            _fileStamp = stamp;
            try
            {
                _keys = Combine(_configured, ReadFile(_file));
                HostingLog.KeysReloaded(_logger, _keys.Length, AuthOptions.SectionName);
            }
            catch (InvalidOperationException e)
            {
                HostingLog.KeysReloadFailed(_logger, e.Message);
            }
        }
        finally
        {
            _reloadLock.Exit();
        }
    }

    private sealed record StoredKey(string Id, ApiKeyRole Role, byte[] Hash);
}
