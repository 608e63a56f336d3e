using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepEverest.Services.Tests.Infrastructure;

/// <summary>One scrape of a Prometheus text endpoint, searchable by metric name and labels.</summary>
internal sealed partial class PrometheusScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (string line in text.Split('\n'))
        {
            Match sample = Sample().Match(line);
            if (!sample.Success)
            {
                continue;
            }

            var labels = Label().Matches(sample.Groups[2].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            _samples.Add((sample.Groups[1].Value, labels, double.Parse(sample.Groups[3].Value, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The scraped text.</summary>
    public string Text { get; }

    /// <summary>Scrapes <c>/metrics</c> of <paramref name="httpAddress"/>.</summary>
    public static async Task<PrometheusScrape> ScrapeAsync(HttpClient client, string httpAddress) =>
        new(await client.GetStringAsync($"{httpAddress}/metrics").DefaultTimeout());

    /// <summary>
    /// The sum of the samples named <paramref name="name"/> whose labels include every pair of
    /// <paramref name="labels"/> ("key=value"); 0 when none matches.
    /// </summary>
    public double Sum(string name, params string[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l[..l.IndexOf('=')], out string? v) && v == l[(l.IndexOf('=') + 1)..]))
            .Sum(s => s.Value);

    /// <summary>Whether any sample is named <paramref name="name"/>.</summary>
    public bool Has(string name) => _samples.Any(s => s.Name == name);

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)""")]
    private static partial Regex Sample();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex Label();
}
