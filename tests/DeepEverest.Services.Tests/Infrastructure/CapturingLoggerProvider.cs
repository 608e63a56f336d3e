using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>
/// Keeps the error-level log entries of a hosted service, so tests can assert that bad input is
/// refused without the service logging an unexpected error.
/// </summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();

    /// <summary>Error and critical entries so far, as "category: message (exception)".</summary>
    public IReadOnlyCollection<string> Errors => _errors.ToArray();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _errors);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{category}[{eventId.Id}]: {formatter(state, exception)} {exception}");
            }
        }
    }
}
