namespace DeepEverest.Core;

/// <summary>
/// A failure the user can act on: the message says what was wrong and what to do. Services turn it
/// into a gRPC status with <see cref="Kind"/>; any other exception is a bug (INTERNAL).
/// </summary>
public sealed class DeepEverestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeepEverestException(ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>What kind of failure this is.</summary>
    public ErrorKind Kind { get; }

    /// <summary>Shorthand for an <see cref="ErrorKind.InvalidArgument"/> failure.</summary>
    public static DeepEverestException Invalid(string message) => new(ErrorKind.InvalidArgument, message);

    /// <summary>Shorthand for a <see cref="ErrorKind.NotFound"/> failure.</summary>
    public static DeepEverestException NotFound(string message) => new(ErrorKind.NotFound, message);

    /// <summary>Shorthand for a <see cref="ErrorKind.FailedPrecondition"/> failure.</summary>
    public static DeepEverestException Precondition(string message) => new(ErrorKind.FailedPrecondition, message);
}
