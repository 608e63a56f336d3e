namespace DeepEverest.Kernels;

/// <summary>
/// Every hot loop of DeepEverest behind one interface. Two implementations exist: SIMD C# on the
/// CPU (<c>SimdKernels</c>) and ILGPU on a CUDA GPU (<c>IlgpuKernels</c>). Callers pick one at
/// start-up through <see cref="KernelSelector"/> and use only this interface.
/// </summary>
/// <remarks>
/// <para><b>Codes layout.</b> A neuron's partition codes are a little-endian bit stream: the code of
/// input <c>i</c> occupies bits <c>[i*b, i*b + b)</c>, where bit <c>k</c> of the stream is bit
/// <c>k % 8</c> of byte <c>k / 8</c>. A neuron's stream takes <see cref="CodeLayout.StrideBytes"/>
/// bytes; the codes of a group of g neurons are g such streams back to back.</para>
/// <para><b>Arithmetic.</b> Exact costs and tight bounds are computed in double, combining neuron
/// terms in group order, so an input's tight lower bound, exact cost and tight upper bound come from
/// the same arithmetic and <c>lower &lt;= exact &lt;= upper</c> holds bit for bit (IEEE rounding is
/// monotone). Coarse bounds (<see cref="GroupBounds"/>) sum terms rounded outward to integers
/// (exactly, whatever the order or width) and widen the sums by the double sum's rounding-error
/// bound, so they contain the tight ones. Every implementation must
/// give bit-identical results to the scalar reference.</para>
/// </remarks>
public interface IKernels : IDisposable
{
    /// <summary>Short name of the backend, e.g. "simd-avx512", "simd-vector256", "ilgpu-cuda".</summary>
    string Name { get; }

    /// <summary>
    /// Coarse lower and upper cost bounds of every input from its partition codes: the filter of
    /// every query, so it is built for speed. For input i, in float from +0 (every such sum is
    /// exact, so any order or integer arithmetic gives the same value):
    /// <c>sumLower = (sum or max over j in 0..g-1 of CoarseLower[j*P + code_j(i)])</c>, then, for j in
    /// 0..g-1 where code_j(i) is 0 and i has an entry e in neuron j's MAI, combined with
    /// <c>CoarseMaiLower[e]</c> (the table's entry 0 is 0). Then
    /// <c>lower[i] = problem.FinishLower(sumLower)</c>; the upper bound likewise. The result
    /// contains the tight bounds of <see cref="RefineBounds"/> (see <see cref="BoundsProblem"/>).
    /// </summary>
    void GroupBounds(in BoundsProblem problem, Span<double> lower, Span<double> upper);

    /// <summary>
    /// Tight bounds of the given inputs, in double with the arithmetic of <see cref="ExactCosts"/>:
    /// for input i, <c>acc = combine over j in 0..g-1 of term_j(i)</c>, where term_j(i) is
    /// <c>TermLower[j*P + code_j(i)]</c> (resp. TermUpper) unless code_j(i) is 0 and i is in neuron
    /// j's MAI, in which case it is that entry's exact term (same for both bounds). Then
    /// <c>lower[r] = Finish(accLower)</c> for <c>inputs[r]</c>. An input whose terms are all exact
    /// gets <c>lower == upper ==</c> its exact cost, with no inference.
    /// </summary>
    void RefineBounds(in BoundsProblem problem, ReadOnlySpan<int> inputs, Span<double> lower, Span<double> upper);

    /// <summary>
    /// Intersects <c>[lower[r], upper[r]]</c> with the summary bounds of input <c>inputs[r]</c>: real
    /// bounds of each covered segment's part of the cost from the input's stored sum and sum of
    /// squares, added (max for linf) to <c>[residualLower[r], residualUpper[r]]</c> (real bounds of
    /// the residual neurons' accumulator; empty spans mean no residual) in interval arithmetic
    /// rounded outward, widened by the double sum's rounding error, and finished like the cost
    /// (docs/large-groups.md). A NaN end is never taken. The result contains the exact cost of
    /// <see cref="ExactCosts"/> whenever the inputs did.
    /// </summary>
    void SummaryBounds(in SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower, Span<double> upper);

    /// <summary>
    /// For l2 costs (<see cref="SummaryProblem.CanRefine"/>; a no-op otherwise), raises
    /// <c>lower[r]</c> to the summary bound of input <c>inputs[r]</c> in which each segment's lower
    /// part is also bounded by the Lagrangian dual of its activations' boxes (their partitions or
    /// MAI values) and its summaries: O(segment neurons) per input. Residual spans as in
    /// <see cref="SummaryBounds"/>.
    /// </summary>
    void SummaryDualLower(in SummaryProblem problem, ReadOnlySpan<int> inputs, ReadOnlySpan<double> residualLower, ReadOnlySpan<double> residualUpper, Span<double> lower);

    /// <summary>
    /// Exact costs of <paramref name="rows"/> activation vectors of the group, row-major
    /// (<c>activations[r*g + j]</c>), with the same arithmetic as <see cref="RefineBounds"/>.
    /// </summary>
    void ExactCosts(in CostFunction cost, ReadOnlySpan<float> activations, int rows, Span<double> costs);

    /// <summary>
    /// Positions of the <paramref name="k"/> smallest (cost, id) pairs, in ascending order, written
    /// to <paramref name="positions"/>; returns how many were written (min(k, n)). NaN costs are
    /// never selected.
    /// </summary>
    int SelectTopK(ReadOnlySpan<double> costs, ReadOnlySpan<int> ids, int k, Span<int> positions);

    /// <summary>
    /// Positions i (ascending) where <c>values[i] &lt;= limit</c>; returns how many were written.
    /// Used to keep the candidates whose lower bound can still beat the k-th upper bound.
    /// </summary>
    int SelectAtMost(ReadOnlySpan<double> values, double limit, Span<int> positions);

    /// <summary>
    /// Builds the index structures of a block of neurons. <paramref name="columns"/> is neuron-major:
    /// <c>columns[j*n + i]</c> is neuron j's activation for input i. Values must be finite (callers
    /// check; see <see cref="ActivationChecks"/>). Per neuron j, with its n (value, id) pairs ordered
    /// by value descending then id ascending:
    /// <list type="bullet">
    /// <item>the first <c>maiCount</c> pairs go to <c>maiIds[j*maiCount..]</c> /
    /// <c>maiValues[j*maiCount..]</c> in that order, and their code is 0;</item>
    /// <item>the pair at rank <c>maiCount + r</c> gets code <c>1 + r*(P-1)/(n-maiCount)</c> (integer
    /// division), so partitions 1..P-1 are equi-depth and code grows as activation falls;</item>
    /// <item>then a value that fills a whole partition p &gt;= 1 (e.g. a ReLU layer's zeros) gets code p,
    /// the first such partition, at every rank of it outside the MAI: the partitions it filled
    /// after p become empty, and its neighbours lose their ranks of it (<c>TiedPartitions</c>);</item>
    /// <item><c>partMin[j*P + p]</c> / <c>partMax[j*P + p]</c> are the values at partition p's last /
    /// first rank, i.e. its min / max (+inf / -inf when empty), partition 0 being the MAI;</item>
    /// <item>codes are packed into <c>codes[j*stride ..]</c> (see the codes layout above).</item>
    /// </list>
    /// </summary>
    void BuildNeuronBlock(
        ReadOnlySpan<float> columns,
        int neurons,
        int n,
        int partitions,
        int maiCount,
        Span<int> maiIds,
        Span<float> maiValues,
        Span<byte> codes,
        Span<float> partMin,
        Span<float> partMax);

    /// <summary>
    /// Unpacks <paramref name="count"/> codes starting at input <paramref name="start"/> from one
    /// neuron's packed stream into one byte per code.
    /// </summary>
    void UnpackCodes(ReadOnlySpan<byte> packed, int bits, int start, int count, Span<byte> codes);
}
