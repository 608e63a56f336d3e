namespace DeepEverest.Hosting.Security;

/// <summary>
/// The role each gRPC method needs when authentication is on, in one place. Health checks are
/// open; reflection and every QueryService method need <see cref="ApiKeyRole.Read"/>; on the
/// IndexService, methods named <c>List*</c>, <c>Get*</c> or <c>Describe*</c> need
/// <see cref="ApiKeyRole.Read"/> and everything else (imports, models, builds, deletes, and any
/// method added later under another name) needs <see cref="ApiKeyRole.Admin"/>.
/// </summary>
internal static class AccessPolicy
{
    private static readonly string[] _readVerbs = ["List", "Get", "Describe"];

    /// <summary>
    /// The role <paramref name="method"/> (e.g. <c>/deepeverest.v1.IndexService/ListModels</c>)
    /// needs, or null when it is open to calls without a key.
    /// </summary>
    public static ApiKeyRole? Required(string method)
    {
        int slash = method.LastIndexOf('/');
        string service = slash > 0 ? method[1..slash] : "";
        string name = method[(slash + 1)..];
        return service switch
        {
            "grpc.health.v1.Health" => null,
            "grpc.reflection.v1alpha.ServerReflection" or "grpc.reflection.v1.ServerReflection" => ApiKeyRole.Read,
            "deepeverest.v1.QueryService" => ApiKeyRole.Read,
            "deepeverest.v1.IndexService" when _readVerbs.Any(verb => IsVerb(name, verb)) => ApiKeyRole.Read,
            _ => ApiKeyRole.Admin,
        };
    }

    /// <summary>Whether <paramref name="name"/> starts with the word <paramref name="verb"/> (ListModels, not Listen).</summary>
    private static bool IsVerb(string name, string verb) =>
        name.Length > verb.Length && name.StartsWith(verb, StringComparison.Ordinal) && char.IsAsciiLetterUpper(name[verb.Length]);
}
