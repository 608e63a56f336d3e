using DeepEverest.Hosting.Security;
using DeepEverest.Services.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DeepEverest.Services.Tests.Security;

/// <summary>
/// Where keys come from (settings, a key file re-read when it changes), what is refused at start
/// (messages name the setting and line, never a key), and what a presented header matches.
/// </summary>
public sealed class ApiKeyStoreTests : IDisposable
{
    private const string Admin = "0123456789abcdef0123456789abcdef";
    private const string Reader = "fedcba9876543210fedcba9876543210";
    private readonly string _dir = TestData.CreateTempDirectory();

    public void Dispose() => TestData.DeleteDirectory(_dir);

    [Fact]
    public void Constructor_NothingConfigured_AuthenticationOff()
    {
        ApiKeyStore store = Create(new AuthOptions());

        Assert.False(store.Enabled);
        Assert.False(store.MetricsRequireKey);
    }

    [Fact]
    public void Authenticate_SettingsAndFileKeys_MatchesOnlyBearerOfAKnownKey()
    {
        string file = WriteFile("# operators\n\nadmin " + Admin + " ops\nread   " + Reader + "\n");
        var options = new AuthOptions { ApiKeysFile = file };
        options.Keys["ci"] = new ApiKeyEntry { Key = "ci-key-0123456789abcdef", Role = "READ" };
        ApiKeyStore store = Create(options);

        Assert.True(store.Enabled);
        Assert.Equal(["ci", "ops", ApiKeyStore.DefaultId(Reader)], store.KeyIds);
        Assert.Equal(new ApiKeyIdentity("ops", ApiKeyRole.Admin), store.Authenticate("Bearer " + Admin, out _));
        Assert.Equal(new ApiKeyIdentity(ApiKeyStore.DefaultId(Reader), ApiKeyRole.Read), store.Authenticate("bearer  " + Reader + " ", out _));
        Assert.Equal(new ApiKeyIdentity("ci", ApiKeyRole.Read), store.Authenticate("Bearer ci-key-0123456789abcdef", out _));
        Assert.Null(store.Authenticate("Bearer " + Admin[..^1], out bool missing));
        Assert.False(missing);
        Assert.Null(store.Authenticate(Admin, out missing));
        Assert.False(missing);
        Assert.Null(store.Authenticate("Basic " + Admin, out _));
        Assert.Null(store.Authenticate("", out missing));
        Assert.True(missing);
        Assert.Null(store.Authenticate(null, out missing));
        Assert.True(missing);
    }

    [Theory]
    [InlineData("admin", "line 1: expected '<role> <key> [<id>]'")]
    [InlineData("owner " + Admin, "line 1: the role (first field) must be read or admin")]
    [InlineData("# c\nadmin short", "line 2: a key needs at least 16 characters")]
    [InlineData("admin " + Admin + " bad/id", "line 1: a key id needs 1-64 characters")]
    [InlineData("admin " + Admin + " a b", "line 1: expected '<role> <key> [<id>]'")]
    [InlineData("admin " + Admin + " x\nread " + Reader + " x", "the key id 'x' is used twice")]
    [InlineData("admin " + Admin + " x\nread " + Admin + " y", "the key of id 'x' is configured twice")]
    public void Constructor_BadKeyFile_RefusedNamingTheLineNeverTheKey(string content, string expected)
    {
        var options = new AuthOptions { ApiKeysFile = WriteFile(content) };

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => Create(options));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("DeepEverest:Auth", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Admin, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tooshort", "admin", "DeepEverest:Auth:Keys:k:Key: a key needs at least 16 characters")]
    [InlineData("has whitespace in it!!", "admin", "DeepEverest:Auth:Keys:k:Key: a key needs at least 16 characters and no whitespace")]
    [InlineData(Admin, "root", "DeepEverest:Auth:Keys:k:Role must be read or admin")]
    [InlineData(Admin, "", "DeepEverest:Auth:Keys:k:Role must be read or admin")]
    public void Constructor_BadKeySetting_RefusedNamingTheSetting(string key, string role, string expected)
    {
        var options = new AuthOptions();
        options.Keys["k"] = new ApiKeyEntry { Key = key, Role = role };

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => Create(options));

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EnabledWithoutKeys_Refused()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => Create(new AuthOptions { Enabled = true }));

        Assert.Contains("DeepEverest:Auth:Enabled is true but no API key is configured", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MissingKeyFile_RefusedNamingTheSetting()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => Create(new AuthOptions { ApiKeysFile = Path.Combine(_dir, "absent") }));

        Assert.StartsWith("DeepEverest:Auth:ApiKeysFile: cannot read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_KeysButDisabled_AuthenticationOff()
    {
        var options = new AuthOptions { Enabled = false, MetricsRequireKey = true };
        options.Keys["k"] = new ApiKeyEntry { Key = Admin, Role = "admin" };

        ApiKeyStore store = Create(options);

        Assert.False(store.Enabled);
        Assert.False(store.MetricsRequireKey);
    }

    [Fact]
    public void Authenticate_KeyFileRotated_NewKeysOnlyAfterTheCheckIntervalAndBadFileKeepsThem()
    {
        string file = WriteFile("admin " + Admin + " old");
        var time = new FakeTimeProvider();
        ApiKeyStore store = Create(new AuthOptions { ApiKeysFile = file }, time);
        Assert.NotNull(store.Authenticate("Bearer " + Admin, out _));

        File.WriteAllText(file, "read " + Reader + " new\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));
        // Within the interval the file is not looked at: the old keys stay in force.
        time.Advance(ApiKeyStore.FileCheckInterval - TimeSpan.FromMilliseconds(1));
        Assert.Equal(new ApiKeyIdentity("old", ApiKeyRole.Admin), store.Authenticate("Bearer " + Admin, out _));
        Assert.Null(store.Authenticate("Bearer " + Reader, out _));

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new ApiKeyIdentity("new", ApiKeyRole.Read), store.Authenticate("Bearer " + Reader, out _));
        Assert.Null(store.Authenticate("Bearer " + Admin, out _));

        // A broken file (half-written by hand) keeps the keys in force.
        File.WriteAllText(file, "read\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(2));
        time.Advance(ApiKeyStore.FileCheckInterval);

        Assert.Equal(new ApiKeyIdentity("new", ApiKeyRole.Read), store.Authenticate("Bearer " + Reader, out _));
    }

    private static ApiKeyStore Create(AuthOptions options, TimeProvider? time = null) =>
        new(Options.Create(options), time ?? new FakeTimeProvider(), NullLogger<ApiKeyStore>.Instance);

    private string WriteFile(string content)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, content);
        return path;
    }
}
