namespace DeepEverest.Core.Query.Strategies;

/// <summary>NTA's thresholds and the partition arithmetic they and the scan share.</summary>
internal sealed partial class NtaRun
{
    // Nearest unread activation per neuron during phase 1: the walk's next MAI value; neurons
    // that do not walk contribute their best possible term (the target's own value, or for
    // "highest" their largest value).
    private double Phase1Threshold()
    {
        double acc = 0;
        for (int j = 0; j < _g; j++)
        {
            double term;
            float[] values = _data.MaiValues[j];
            if (_walking[j])
            {
                double l = _left[j] >= 0 ? _cost.Term(j, values[_left[j]]) : double.PositiveInfinity;
                double r = _right[j] < values.Length ? _cost.Term(j, values[_right[j]]) : RightOfMai(j);
                term = Math.Min(l, r);
            }
            else
            {
                term = _similar ? _cost.Term(j, _ctx.TargetGroup[j]) : _cost.IntervalTerm(j, LowestValue(j), HighestValue(j)).Lower;
            }

            acc = _cost.Combine(acc, term);
        }

        return _cost.Finish(acc);
    }

    private double Phase2Threshold()
    {
        double acc = 0;
        for (int j = 0; j < _g; j++)
        {
            int above = NonEmptyBefore(j, _lo[j]);
            int below = NonEmptyAfter(j, _hi[j]);
            if (above < 0 && below < 0)
            {
                return double.PositiveInfinity; // every input has been read
            }

            double term = _similar
                ? Math.Min(
                    above >= 0 ? _cost.Term(j, _data.PartMin[j * _partitions + above]) : double.PositiveInfinity,
                    below >= 0 ? _cost.Term(j, _data.PartMax[j * _partitions + below]) : double.PositiveInfinity)
                : _cost.IntervalTerm(j, LowestValue(j), _data.PartMax[j * _partitions + (below >= 0 ? below : above)]).Lower;
            acc = _cost.Combine(acc, term);
        }

        return _cost.Finish(acc);
    }

    private double RightOfMai(int j)
    {
        int p = NonEmptyAfter(j, 0);
        return p < 0 ? double.PositiveInfinity
            : _similar ? _cost.Term(j, _data.PartMax[j * _partitions + p])
            : _cost.IntervalTerm(j, LowestValue(j), _data.PartMax[j * _partitions + p]).Lower;
    }

    private float HighestValue(int j) => _data.MaiValues[j].Length > 0 ? _data.MaiValues[j][0] : _data.PartMax[j * _partitions + Math.Max(0, NonEmptyAfter(j, 0))];

    private float LowestValue(int j)
    {
        for (int p = _partitions - 1; p >= 0; p--)
        {
            float min = _data.PartMin[j * _partitions + p];
            if (min <= _data.PartMax[j * _partitions + p])
            {
                return min;
            }
        }

        return 0;
    }

    private int NonEmptyBefore(int j, int p)
    {
        for (int q = p - 1; q >= 0; q--)
        {
            if (_data.PartMin[j * _partitions + q] <= _data.PartMax[j * _partitions + q])
            {
                return q;
            }
        }

        return -1;
    }

    private int NonEmptyAfter(int j, int p)
    {
        for (int q = p + 1; q < _partitions; q++)
        {
            if (_data.PartMin[j * _partitions + q] <= _data.PartMax[j * _partitions + q])
            {
                return q;
            }
        }

        return -1;
    }

    // The partition the target falls in (or the nearest one), for neurons that do not walk.
    private int StartPartition(int j)
    {
        if (!_similar)
        {
            return Math.Max(0, _data.MaiIds[j].Length > 0 ? 0 : NonEmptyAfter(j, 0));
        }

        if (_ctx.TargetId is { } tid)
        {
            var one = new byte[1];
            _ctx.Kernels.UnpackCodes(_codes[j], (int)_ctx.Index!.Bits, (int)tid, 1, one);
            return one[0];
        }

        float t = _ctx.TargetGroup[j];
        int best = 0;
        double bestTerm = double.PositiveInfinity;
        for (int p = 0; p < _partitions; p++)
        {
            float pMin = _data.PartMin[j * _partitions + p];
            float pMax = _data.PartMax[j * _partitions + p];
            if (pMin > pMax)
            {
                continue;
            }

            double term = _cost.IntervalTerm(j, pMin, pMax).Lower;
            if (term < bestTerm)
            {
                (best, bestTerm) = (p, term);
            }
        }

        return best;
    }
}
