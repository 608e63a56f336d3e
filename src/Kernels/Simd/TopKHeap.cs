namespace DeepEverest.Kernels.Simd;

/// <summary>
/// A bounded max-heap of positions ordered by (cost, id) (<see cref="TopKOrder"/>), then position, holding the k smallest seen so
/// far; the root is the worst kept entry. Position breaks ties between equal (cost, id) pairs so
/// the result is deterministic even with duplicate ids. NaN costs are refused by the callers.
/// </summary>
internal ref struct TopKHeap
{
    private readonly ReadOnlySpan<double> _costs;
    private readonly ReadOnlySpan<int> _ids;
    private readonly int[] _heap;

    /// <summary>Creates an empty heap of capacity <paramref name="capacity"/> (at least 1).</summary>
    public TopKHeap(ReadOnlySpan<double> costs, ReadOnlySpan<int> ids, int capacity)
    {
        _costs = costs;
        _ids = ids;
        _heap = new int[capacity];
        Count = 0;
    }

    /// <summary>Entries held.</summary>
    public int Count { get; private set; }

    /// <summary>Cost of the worst kept entry (the heap must be full).</summary>
    public readonly double WorstCost => _costs[_heap[0]];

    /// <summary>Adds a position while the heap is not full.</summary>
    public void Push(int position)
    {
        int at = Count++;
        while (at > 0)
        {
            int parent = (at - 1) >> 1;
            if (!Before(_heap[parent], position))
            {
                break;
            }

            _heap[at] = _heap[parent];
            at = parent;
        }

        _heap[at] = position;
    }

    /// <summary>Offers a position to a full heap: it replaces the root if it orders before it.</summary>
    public void Offer(int position)
    {
        double cost = _costs[position];
        double worst = _costs[_heap[0]];

        // Written so that a NaN cost fails: never selected.
        if (!(cost <= worst) || !Before(position, _heap[0]))
        {
            return;
        }

        SiftDown(position, Count);
    }

    /// <summary>
    /// Writes the kept positions in ascending (cost, id, position) order and returns how many
    /// (an in-place heap sort: the root, the worst, goes to the back each step).
    /// </summary>
    public int DrainSorted(Span<int> positions)
    {
        int total = Count;
        for (int end = total - 1; end > 0; end--)
        {
            int worst = _heap[0];
            int moved = _heap[end];
            _heap[end] = worst;
            SiftDown(moved, end);
        }

        _heap.AsSpan(0, total).CopyTo(positions);
        Count = 0;
        return total;
    }

    /// <summary>Places <paramref name="position"/> at the root of heap [0, count) and restores the order.</summary>
    private readonly void SiftDown(int position, int count)
    {
        int at = 0;
        while (true)
        {
            int child = (2 * at) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && Before(_heap[child], _heap[child + 1]))
            {
                child++;
            }

            if (!Before(position, _heap[child]))
            {
                break;
            }

            _heap[at] = _heap[child];
            at = child;
        }

        _heap[at] = position;
    }

    /// <summary>Whether position a orders strictly before position b: by <see cref="TopKOrder"/>, then position.</summary>
    private readonly bool Before(int a, int b)
    {
        int c = TopKOrder.Compare(_costs[a], _ids[a], _costs[b], _ids[b]);
        return c != 0 ? c < 0 : a < b;
    }
}
