using DeepEverest.Kernels;

namespace DeepEverest.Core.Query.Results;

/// <summary>
/// The k best exact (cost, id) pairs seen so far: smaller cost first, ties by smaller id.
/// A bounded max-heap, so adding is O(log k) whatever the number of verified inputs.
/// </summary>
public sealed class TopKCollector
{
    private readonly int _k;
    private readonly PriorityQueue<(double Cost, int Id), (double Cost, int Id)> _heap;

    /// <summary>Creates a collector of the best <paramref name="k"/>.</summary>
    public TopKCollector(int k)
    {
        _k = k;
        _heap = new PriorityQueue<(double, int), (double, int)>(k + 1, Comparer<(double Cost, int Id)>.Create((a, b) => Compare(b, a)));
    }

    /// <summary>Orders (cost, id) pairs: cost ascending, then id ascending (<see cref="TopKOrder"/>, shared with the kernels).</summary>
    public static int Compare((double Cost, int Id) a, (double Cost, int Id) b) => TopKOrder.Compare(a, b);

    /// <summary>Pairs held (at most k).</summary>
    public int Count => _heap.Count;

    /// <summary>True once k pairs are held.</summary>
    public bool IsFull => _heap.Count == _k;

    /// <summary>The worst pair held (the k-th best once full).</summary>
    public (double Cost, int Id) Worst => _heap.Peek();

    /// <summary>Offers a pair; returns true when it entered the top k. NaN costs never enter.</summary>
    public bool Add(double cost, int id)
    {
        if (double.IsNaN(cost) || _k == 0)
        {
            return false;
        }

        if (_heap.Count < _k)
        {
            _heap.Enqueue((cost, id), (cost, id));
            return true;
        }

        if (Compare((cost, id), _heap.Peek()) >= 0)
        {
            return false;
        }

        _heap.EnqueueDequeue((cost, id), (cost, id));
        return true;
    }

    /// <summary>The held pairs, best first.</summary>
    public (double Cost, int Id)[] Sorted()
    {
        var items = _heap.UnorderedItems.Select(x => x.Element).ToArray();
        Array.Sort(items, (a, b) => Compare(a, b));
        return items;
    }
}
