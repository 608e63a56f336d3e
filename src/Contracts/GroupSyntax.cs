using System.Globalization;
using DeepEverest.Contracts.V1;

namespace DeepEverest.Contracts;

/// <summary>
/// The group syntax every text front end shares (the CLI's <c>--group</c>, the Python client, the
/// web console's URL): one line per <see cref="NeuronGroup"/>, e.g. <c>top:3</c>,
/// <c>neurons:17,42</c>, <c>at:5.0.1;5.2.2</c>, <c>rect:5,*,*</c>. The grammar is written once, in
/// the comment on NeuronGroup (protos/deepeverest/v1/query_service.proto) and in docs/http-api.md;
/// this is its C# parser, tested against tests/fixtures/group-syntax.json like the Python and
/// TypeScript ones.
/// </summary>
/// <remarks>
/// Syntax only: no layer shape is needed (a <c>*</c> is an open range the service resolves), and
/// whether the group fits the layer is the service's to say.
/// </remarks>
public static class GroupSyntax
{
    /// <summary>The forms, for messages: what a user can type.</summary>
    public const string Forms = "top:M, neurons:I,J,..., at:C.H.W;C.H.W;... or rect:E,E,... (one extent per dimension: N, A:B for [A, B), A: or :B, or * for the whole dimension)";

    /// <summary>Parses one group; throws <see cref="FormatException"/> naming what is wrong.</summary>
    /// <param name="text">A group in the shared syntax, e.g. <c>rect:5,*,*</c>.</param>
    /// <returns>The request message (open ranges left open).</returns>
    public static NeuronGroup Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? trimmed : trimmed[..colon].Trim();
        string body = colon < 0 ? "" : trimmed[(colon + 1)..];
        switch (kind)
        {
            case "top" when colon >= 0:
                {
                    long m = Uint(body, text, "top:M");
                    return m <= int.MaxValue
                        ? new NeuronGroup { TopOfTarget = (int)m }
                        : throw Error(text, $"top:{m} is too large (at most {int.MaxValue})");
                }

            case "neurons" when colon >= 0:
                {
                    var list = new NeuronList();
                    list.Neurons.AddRange(body.Split(',').Select(x => new Neuron { Flat = Uint(x, text, "a flat index") }));
                    return new NeuronGroup { Neurons = list };
                }

            case "at" when colon >= 0:
                {
                    var list = new NeuronList();
                    foreach (string item in body.Split(';'))
                    {
                        var coordinates = new Coordinates();
                        coordinates.Values.AddRange(item.Split('.').Select(x => Uint(x, text, "a coordinate")));
                        list.Neurons.Add(new Neuron { Coordinates = coordinates });
                    }

                    return new NeuronGroup { Neurons = list };
                }

            case "rect" when colon >= 0:
                {
                    var rectangle = new HyperRectangle();
                    rectangle.Ranges.AddRange(body.Split(',').Select(x => Extent(x, text)));
                    return new NeuronGroup { Rectangle = rectangle };
                }

            default:
                throw Error(text, $"use {Forms}");
        }
    }

    /// <summary>
    /// Parses one group, or says why not.
    /// </summary>
    /// <param name="text">A group in the shared syntax.</param>
    /// <param name="group">The message, when the text parses.</param>
    /// <param name="error">What is wrong, when it does not.</param>
    /// <returns>Whether the text is a group.</returns>
    public static bool TryParse(string text, out NeuronGroup? group, out string? error)
    {
        try
        {
            group = Parse(text);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            group = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The canonical text of a group (what <see cref="Parse"/> reads back into an equal message),
    /// or null for a message the syntax cannot write (no selection, an empty list, or a list mixing
    /// flat indices and coordinates).
    /// </summary>
    public static string? Format(NeuronGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        switch (group.SelectionCase)
        {
            case NeuronGroup.SelectionOneofCase.TopOfTarget when group.TopOfTarget >= 0:
                return $"top:{group.TopOfTarget.ToString(CultureInfo.InvariantCulture)}";
            case NeuronGroup.SelectionOneofCase.Neurons when group.Neurons.Neurons.Count > 0:
                {
                    var neurons = group.Neurons.Neurons;
                    if (neurons.All(n => n.LocationCase == Neuron.LocationOneofCase.Flat && n.Flat >= 0))
                    {
                        return "neurons:" + string.Join(",", neurons.Select(n => n.Flat.ToString(CultureInfo.InvariantCulture)));
                    }

                    bool coordinates = neurons.All(n => n.LocationCase == Neuron.LocationOneofCase.Coordinates
                        && n.Coordinates.Values.Count > 0 && n.Coordinates.Values.All(v => v >= 0));
                    return coordinates
                        ? "at:" + string.Join(";", neurons.Select(n => string.Join(".", n.Coordinates.Values.Select(v => v.ToString(CultureInfo.InvariantCulture)))))
                        : null;
                }

            case NeuronGroup.SelectionOneofCase.Rectangle when group.Rectangle.Ranges.Count > 0:
                {
                    var extents = new List<string>();
                    foreach (V1.Range r in group.Rectangle.Ranges)
                    {
                        string? extent = FormatExtent(r);
                        if (extent is null)
                        {
                            return null;
                        }

                        extents.Add(extent);
                    }

                    return "rect:" + string.Join(",", extents);
                }

            default:
                return null;
        }
    }

    private static string? FormatExtent(V1.Range r)
    {
        string start = r.Start.ToString(CultureInfo.InvariantCulture);
        if (r.Start < 0 || r.End < 0 || (r.OpenEnd && r.End != 0))
        {
            return null;
        }

        if (r.OpenEnd)
        {
            return r.Start == 0 ? "*" : start + ":";
        }

        return r.End - r.Start == 1 ? start : $"{start}:{r.End.ToString(CultureInfo.InvariantCulture)}";
    }

    private static V1.Range Extent(string item, string text)
    {
        string extent = item.Trim();
        if (extent == "*")
        {
            return new V1.Range { OpenEnd = true };
        }

        int colon = extent.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            long index = Uint(extent, text, "an extent (N, A:B, A:, :B or *)");
            return index < long.MaxValue
                ? new V1.Range { Start = index, End = index + 1 }
                : throw Error(text, $"index {index} is too large");
        }

        string start = extent[..colon].Trim();
        string end = extent[(colon + 1)..].Trim();
        var range = new V1.Range { Start = start.Length == 0 ? 0 : Uint(start, text, "a range start") };
        if (end.Length == 0)
        {
            range.OpenEnd = true;
        }
        else
        {
            range.End = Uint(end, text, "a range end");
        }

        return range;
    }

    private static long Uint(string item, string text, string what)
    {
        string digits = item.Trim();
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            throw Error(text, digits.Length == 0 ? $"{what} is missing" : $"'{digits}' is not {what} (a non-negative decimal integer)");
        }

        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw Error(text, $"{digits} is too large (at most {long.MaxValue})");
    }

    private static FormatException Error(string text, string why) => new($"'{text}' is not a neuron group: {why}.");
}
