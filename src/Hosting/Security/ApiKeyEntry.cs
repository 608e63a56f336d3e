namespace DeepEverest.Hosting.Security;

/// <summary>
/// One API key given in configuration (<c>DeepEverest:Auth:Keys:&lt;id&gt;</c>): the id names the
/// key in logs and limits (never the key itself).
/// </summary>
public sealed class ApiKeyEntry
{
    /// <summary>The secret a client sends as <c>authorization: Bearer &lt;key&gt;</c>: at least 16 characters, no whitespace.</summary>
    public string Key { get; set; } = "";

    /// <summary>What the key may do: <c>read</c> or <c>admin</c>. Required.</summary>
    public string Role { get; set; } = "";
}
