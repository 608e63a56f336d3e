using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepEverest.Hosting;

/// <summary>The one way the services register a settings section: bound, checked by its own rule, at start-up.</summary>
public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and runs
    /// <paramref name="validate"/> on start (it throws with a message naming the bad setting), so a
    /// misconfigured service refuses to start rather than failing its first call.
    /// </summary>
    public static IServiceCollection AddValidatedOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string section, Action<TOptions> validate)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(validate);
        services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(section))
            .Validate(o =>
            {
                validate(o);
                return true;
            })
            .ValidateOnStart();
        return services;
    }
}
