using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepEverest.Kernels;

namespace DeepEverest.Bench.Kernels;

/// <summary>
/// A Stopwatch harness for any <see cref="IKernels"/>: measures this machine's copy bandwidth, then
/// every kernel at the sizes of <see cref="KernelBenchmarkOptions"/> (warm-ups, then median and
/// minimum of several runs), and relates each kernel's effective bytes per second to the
/// bandwidth. Nothing is asserted: the report is for people (<c>deepeverest bench kernels</c>).
/// </summary>
public static class KernelBenchmark
{
    /// <summary>Runs every benchmark on <paramref name="kernels"/>; takes seconds to a minute.</summary>
    /// <param name="kernels">The implementation to measure.</param>
    /// <param name="options">Sizes and repetitions.</param>
    /// <param name="progress">Receives one line per finished step; may be null.</param>
    public static KernelBenchmarkReport Run(IKernels kernels, KernelBenchmarkOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        double bandwidth = MeasureBandwidth(options);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"copy bandwidth {bandwidth / 1e9:F1} GB/s"));

        var results = new List<KernelBenchmarkResult>();
        void Add(string kernel, string @case, (double Median, double Min) t, long bytes, string note = "")
        {
            var result = new KernelBenchmarkResult(kernel, @case, t.Median, t.Min, bytes, bytes / t.Median / bandwidth, note);
            results.Add(result);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{kernel} {@case}: {t.Median * 1e3:F3} ms ({result.BytesPerSecond / 1e9:F2} GB/s)"));
        }

        int n = options.Inputs;
        int p = options.Partitions;
        int bits = CodeLayout.BitsFor(p);
        int stride = CodeLayout.StrideBytes(n, bits);
        int mai = (int)(options.MaiRatio * n);
        int maxGroup = options.GroupSizes.Max();
        var rng = new Random(options.Seed);

        // The build block is also the index the bounds kernels read.
        int neurons = Math.Max(options.BuildNeurons, maxGroup);
        float[] columns = BenchmarkData.ReluActivations(rng, neurons, n);
        var index = new BenchmarkData.Index(neurons, n, p, mai);
        int build = options.BuildNeurons;
        var buildTime = Time(options, () => kernels.BuildNeuronBlock(
            columns.AsSpan(0, build * n), build, n, p, mai, index.MaiIds, index.MaiValues, index.Codes, index.PartMin, index.PartMax));
        long buildBytes = ((long)build * n * 4) + ((long)build * (stride + (mai * 8L) + (p * 8L)));
        double scale = (double)options.LayerNeurons / build;
        Add("BuildNeuronBlock", $"{build} neurons x n={n} P={p} MAI={mai}", buildTime, buildBytes,
            string.Create(CultureInfo.InvariantCulture, $"{options.LayerNeurons} neurons: {buildTime.Median * scale:F2} s (extrapolated)"));
        if (neurons > build)
        {
            kernels.BuildNeuronBlock(columns, neurons, n, p, mai, index.MaiIds, index.MaiValues, index.Codes, index.PartMin, index.PartMax);
        }

        double[] lastLower = [];
        double[] lastCosts = [];
        foreach (int g in options.GroupSizes)
        {
            // Not a kernel, but every query pays it before GroupBounds: sorting each neuron's MAI
            // ids and deriving the coarse terms. Bytes: MAI ids and values read, and per entry
            // its id, exact term and two coarse terms written.
            Func<BoundsProblem> create = index.ProblemFactory(columns, g);
            BoundsProblem problem = create();
            Add("BoundsProblem.Create", $"g={g} MAI={mai}", Time(options, () => create()), (long)g * mai * (8 + 20), "per query, before GroupBounds");
            var lower = new double[n];
            var upper = new double[n];
            // Bytes: the codes and the MAI entries that apply (an id and two coarse terms each)
            // read, two doubles per input written.
            long boundsBytes = ((long)g * stride) + (12L * problem.MaiIds.Length) + (16L * n);
            Add("GroupBounds", $"n={n} g={g} P={p}", Time(options, () => kernels.GroupBounds(problem, lower, upper)), boundsBytes);

            float[] rows = BenchmarkData.RowMajor(columns, n, g);
            var costs = new double[n];
            Add("ExactCosts", $"rows={n} g={g}", Time(options, () => kernels.ExactCosts(problem.Cost, rows, n, costs)), (4L * n * g) + (8L * n));
            lastLower = lower;
            lastCosts = costs;
        }

        int[] ids = Enumerable.Range(0, n).ToArray();
        var positions = new int[n];
        Add("SelectTopK", $"n={n} k={options.K}", Time(options, () => kernels.SelectTopK(lastCosts, ids, options.K, positions)), 8L * n);

        double limit = BenchmarkData.Quantile(lastLower, 0.01);
        int selected = kernels.SelectAtMost(lastLower, limit, positions);
        Add("SelectAtMost", $"n={n}, {selected} pass", Time(options, () => kernels.SelectAtMost(lastLower, limit, positions)), (8L * n) + (4L * selected));

        var unpacked = new byte[n];
        Add("UnpackCodes", $"n={n} bits={bits}", Time(options, () => kernels.UnpackCodes(index.Codes.AsSpan(0, stride), bits, 0, n, unpacked)), stride + (long)n);

        return new KernelBenchmarkReport(kernels.Name, DescribeMachine(), bandwidth, options, results);
    }

    /// <summary>Best rate of copying a large array on all cores: bytes read + written per second.</summary>
    private static double MeasureBandwidth(KernelBenchmarkOptions options)
    {
        byte[] source = GC.AllocateUninitializedArray<byte>(options.BandwidthBytes);
        byte[] target = GC.AllocateUninitializedArray<byte>(options.BandwidthBytes);
        Array.Fill(source, (byte)1); // touch every page before timing
        Array.Fill(target, (byte)2);
        int parts = Environment.ProcessorCount;
        int part = (source.Length + parts - 1) / parts;
        double best = double.MaxValue;
        for (int r = 0; r < options.BandwidthRepetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, parts, i =>
            {
                int from = i * part;
                int length = Math.Min(part, source.Length - from);
                source.AsSpan(from, length).CopyTo(target.AsSpan(from, length));
            });
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return 2.0 * source.Length / best;
    }

    /// <summary>
    /// Warm-ups, then median and minimum of the timed runs, in seconds. Warm-up also lasts at least
    /// <see cref="KernelBenchmarkOptions.MinWarmupSeconds"/>, so that tiered compilation has
    /// promoted every method on the path before timing starts.
    /// </summary>
    private static (double Median, double Min) Time(KernelBenchmarkOptions options, Action action)
    {
        long warmStart = Stopwatch.GetTimestamp();
        for (int w = 0; w < options.Warmups || (w < 100_000 && Stopwatch.GetElapsedTime(warmStart).TotalSeconds < options.MinWarmupSeconds); w++)
        {
            action();
        }

        var times = new double[options.Repetitions];
        for (int r = 0; r < times.Length; r++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(times);
        return (times[times.Length / 2], times[0]);
    }

    private static string DescribeMachine()
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                string? model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (model is not null)
                {
                    cpu = model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
            // keep the architecture only
        }

        string vectors = Vector512.IsHardwareAccelerated ? (Avx512F.IsSupported ? "AVX-512" : "Vector512")
            : Vector256.IsHardwareAccelerated ? "Vector256"
            : Vector.IsHardwareAccelerated ? $"Vector<T> {Vector<byte>.Count * 8}-bit" : "no SIMD";
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {vectors}";
    }
}
