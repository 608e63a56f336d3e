namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>A <see cref="StringWriter"/> that shows each written line to a callback (to react to CLI output).</summary>
internal sealed class LineWatchingWriter(Action<string> onLine) : StringWriter
{
    /// <inheritdoc />
    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        onLine(value ?? "");
    }
}
