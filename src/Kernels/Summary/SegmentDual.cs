namespace DeepEverest.Kernels.Summary;

/// <summary>
/// A lower bound of ||a - t||^2 over one summary segment that combines what the index knows of
/// input a there: each activation's interval (its partition, or its MAI value) and the segment's
/// sum S and sum of squares Q (intervals from the channel summaries). It is the Lagrangian dual of
/// "minimize ||a - t||^2 subject to the boxes, sum a = S, sum a^2 = Q" (docs/large-groups.md):
/// for every real lambda > -1 and mu,
/// <c>g(lambda, mu) = sum_j min over a_j in [lo_j, hi_j] of ((a_j - t_j)^2 + lambda a_j^2 + mu a_j) - lambda Q' - mu S'</c>
/// (Q', S' the ends of the intervals that make the last terms smallest) is at most ||a - t||^2 for
/// the true a. The multipliers are chosen by bisection in plain double (any choice is sound);
/// g is then evaluated once with every operation rounded outward, so the result is a lower
/// bound of the real squared distance.
/// </summary>
internal static class SegmentDual
{
    private const int Steps = 24;

    /// <summary>The bound (>= 0); <paramref name="lower"/> / <paramref name="upper"/> are the activations' intervals.</summary>
    public static double Lower(ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> target, double sumLower, double sumUpper, double squareLower, double squareUpper)
    {
        double lambda = SolveLambda(lower, upper, target, 0, squareLower, squareUpper);
        double mu = SolveMu(lower, upper, target, lambda, sumLower, sumUpper);
        lambda = SolveLambda(lower, upper, target, mu, squareLower, squareUpper);
        return Math.Max(0, Rigorous(lower, upper, target, lambda, mu, sumLower, sumUpper, squareLower, squareUpper));
    }

    /// <summary>The minimiser a*_j = clamp((t_j - mu / 2) / (1 + lambda), lo_j, hi_j): its sum and sum of squares.</summary>
    private static (double Sum, double Square) Minimiser(ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> target, double lambda, double mu)
    {
        double c = 1 + lambda;
        double half = mu / 2;
        double sum = 0;
        double square = 0;
        for (int j = 0; j < target.Length; j++)
        {
            double a = Math.Clamp((target[j] - half) / c, lower[j], upper[j]);
            sum += a;
            square += a * a;
        }

        return (sum, square);
    }

    /// <summary>Lambda (> -1) where the minimiser's sum of squares meets [Q-, Q+], for fixed mu (it falls as lambda grows).</summary>
    private static double SolveLambda(ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> target, double mu, double squareLower, double squareUpper)
    {
        double square = Minimiser(lower, upper, target, 0, mu).Square;
        if (square >= squareLower && square <= squareUpper)
        {
            return 0;
        }

        double a;
        double b;
        if (square > squareUpper)
        {
            a = 0;
            b = 1;
            for (int i = 0; i < 60 && Minimiser(lower, upper, target, b, mu).Square > squareUpper; i++)
            {
                a = b;
                b *= 2;
            }
        }
        else
        {
            a = -1 + 1e-9;
            b = 0;
        }

        for (int i = 0; i < Steps; i++)
        {
            double m = (a + b) / 2;
            double s = Minimiser(lower, upper, target, m, mu).Square;
            if (s > squareUpper)
            {
                a = m;
            }
            else if (s < squareLower)
            {
                b = m;
            }
            else
            {
                return m;
            }
        }

        return (a + b) / 2;
    }

    /// <summary>Mu where the minimiser's sum meets [S-, S+], for fixed lambda (it falls as mu grows).</summary>
    private static double SolveMu(ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> target, double lambda, double sumLower, double sumUpper)
    {
        double sum = Minimiser(lower, upper, target, lambda, 0).Sum;
        if (sum >= sumLower && sum <= sumUpper)
        {
            return 0;
        }

        double sign = sum > sumUpper ? 1 : -1;
        double a = 0;
        double b = 1e-3 * (1 + Math.Abs(sumLower) / target.Length);
        for (int i = 0; i < 80; i++)
        {
            double s = Minimiser(lower, upper, target, lambda, sign * b).Sum;
            if (sign > 0 ? s <= sumUpper : s >= sumLower)
            {
                break;
            }

            a = b;
            b *= 2;
        }

        for (int i = 0; i < Steps; i++)
        {
            double m = (a + b) / 2;
            double s = Minimiser(lower, upper, target, lambda, sign * m).Sum;
            bool tooFar = sign > 0 ? s < sumLower : s > sumUpper;
            bool notFarEnough = sign > 0 ? s > sumUpper : s < sumLower;
            if (notFarEnough)
            {
                a = m;
            }
            else if (tooFar)
            {
                b = m;
            }
            else
            {
                return sign * m;
            }
        }

        return sign * (a + b) / 2;
    }

    /// <summary>g(lambda, mu) with every operation rounded toward a smaller result: a lower bound of the real g.</summary>
    private static double Rigorous(ReadOnlySpan<float> lower, ReadOnlySpan<float> upper, ReadOnlySpan<float> target, double lambda, double mu, double sumLower, double sumUpper, double squareLower, double squareUpper)
    {
        if (!double.IsFinite(lambda) || !double.IsFinite(mu) || lambda <= -1 + 1e-12)
        {
            return 0;
        }

        double cLower = Down(1 + lambda);
        if (!(cLower > 0))
        {
            return 0;
        }

        if (Math.Abs(mu) < 1e-280)
        {
            mu = 0; // so that halving it below is exact
        }

        double half = mu / 2;
        double total = 0;
        for (int j = 0; j < target.Length; j++)
        {
            double t = target[j];
            double lo = lower[j];
            double hi = upper[j];
            double term;
            if (lo == hi)
            {
                term = AtLower(lo, t, lambda, mu);
            }
            else
            {
                double vertex = (t - half) / (1 + lambda);
                double margin = (1e-7 * (Math.Abs(vertex) + Math.Abs(lo) + Math.Abs(hi))) + 1e-300;
                if (vertex < lo - margin)
                {
                    term = AtLower(lo, t, lambda, mu);
                }
                else if (vertex > hi + margin)
                {
                    term = AtLower(hi, t, lambda, mu);
                }
                else
                {
                    // The unconstrained minimum t^2 - (t - mu/2)^2 / (1 + lambda): at most the box's.
                    double wLower = Down(t - half);
                    double wUpper = Up(t - half);
                    double w2 = Up(Math.Max(Up(wLower * wLower), Up(wUpper * wUpper)));
                    term = Down((t * t) - Up(w2 / cLower));
                }
            }

            total = Down(total + term);
        }

        // - lambda Q - mu S over the intervals, at their least.
        double lambdaPart = lambda >= 0 ? -Up(lambda * squareUpper) : Down(-lambda * squareLower);
        double muPart = mu >= 0 ? -Up(mu * sumUpper) : Down(-mu * sumLower);
        return Down(Down(total + lambdaPart) + muPart);
    }

    /// <summary>A lower bound of (a - t)^2 + lambda a^2 + mu a at the float a (t a float too).</summary>
    private static double AtLower(double a, double t, double lambda, double mu)
    {
        double dLower = Down(a - t);
        double dUpper = Up(a - t);
        double d2 = dLower > 0 ? Down(dLower * dLower) : dUpper < 0 ? Down(dUpper * dUpper) : 0;
        // a * a is exact (a float); each product and sum rounds once, moved down.
        return Down(Down(d2 + Down(lambda * (a * a))) + Down(mu * a));
    }

    private static double Down(double x) => Math.BitDecrement(x);

    private static double Up(double x) => Math.BitIncrement(x);
}
