using System.Globalization;

namespace DeepEverest.Bench;

/// <summary>Exactness checks: answers must agree in ids, order and scores, bit for bit.</summary>
internal static class Answers
{
    /// <summary>Whether two answers are identical.</summary>
    public static bool Same(IReadOnlyList<(int Id, double Score)> a, IReadOnlyList<(int Id, double Score)> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Id != b[i].Id || !a[i].Score.Equals(b[i].Score))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A one-line description of the first difference.</summary>
    public static string Difference(IReadOnlyList<(int Id, double Score)> actual, IReadOnlyList<(int Id, double Score)> expected)
    {
        if (actual.Count != expected.Count)
        {
            return $"{actual.Count} hits instead of {expected.Count}";
        }

        for (int i = 0; i < actual.Count; i++)
        {
            if (actual[i].Id != expected[i].Id || !actual[i].Score.Equals(expected[i].Score))
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"rank {i + 1}: ({actual[i].Id}, {actual[i].Score:R}) instead of ({expected[i].Id}, {expected[i].Score:R})");
            }
        }

        return "identical";
    }
}
