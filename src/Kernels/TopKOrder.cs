namespace DeepEverest.Kernels;

/// <summary>
/// The one order of (cost, id) pairs every top k uses, in the engine (<c>TopKCollector</c>) and in
/// the kernels (<see cref="IKernels.SelectTopK"/>): cost ascending, then id ascending, so results
/// are deterministic and identical to brute force. Costs compare with
/// <see cref="double.CompareTo(double)"/>: -0 equals +0, and NaN orders before every number
/// (callers keep NaN costs out of a top k; the order only has to be total for sorting).
/// </summary>
public static class TopKOrder
{
    /// <summary>Compares (<paramref name="costA"/>, <paramref name="idA"/>) with (<paramref name="costB"/>, <paramref name="idB"/>):
    /// negative when the first orders first, 0 when equal, positive otherwise.</summary>
    public static int Compare(double costA, int idA, double costB, int idB)
    {
        int c = costA.CompareTo(costB);
        return c != 0 ? c : idA.CompareTo(idB);
    }

    /// <summary>Compares two (cost, id) pairs; see <see cref="Compare(double, int, double, int)"/>.</summary>
    public static int Compare((double Cost, int Id) a, (double Cost, int Id) b) => Compare(a.Cost, a.Id, b.Cost, b.Id);
}
