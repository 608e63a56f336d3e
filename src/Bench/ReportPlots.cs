using System.Globalization;
using DeepEverest.Bench.Results;
using ScottPlot;

namespace DeepEverest.Bench;

/// <summary>The report's PNG plots, drawn with ScottPlot from a results file.</summary>
internal static class ReportPlots
{
    private const int Width = 1100;
    private const int Height = 520;
    private static readonly string[] _strategies = ["bounds", "nta", "materialized", "reprocess"];
    private static readonly string[] _strategyNames = ["bounds (ours)", "NTA", "PreprocessAll", "ReprocessAll"];

    /// <summary>Latency by strategy, group and query type at the default index: one plot per layer, log scale.</summary>
    public static void Latency(ReportData data, LayerInfo layer, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new List<Tick>();
        int slot = 0;
        foreach (string type in ReportData.Types)
        {
            foreach (string group in data.GroupKinds)
            {
                double center = slot * (_strategies.Length + 1);
                for (int s = 0; s < _strategies.Length; s++)
                {
                    double median = data.Latency(layer.Role, _strategies[s], type, group).Median;
                    if (double.IsNaN(median))
                    {
                        continue;
                    }

                    plot.Add.Bar(new Bar
                    {
                        Position = center + s,
                        Value = Math.Log10(Math.Max(median, 0.01)),
                        ValueBase = -2,
                        FillColor = palette.GetColor(s),
                    });
                }

                ticks.Add(new Tick(center + ((_strategies.Length - 1) / 2.0), $"{type}\n{group}"));
                slot++;
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        LogTicks(plot, -2, 5);
        plot.Axes.SetLimitsY(-2, 5.5);
        for (int s = 0; s < _strategies.Length; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = _strategyNames[s], FillColor = palette.GetColor(s) });
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title($"{layer.Role} layer {layer.Name}: median time to final answer (ms, log scale), default index");
        plot.YLabel("ms");
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Inferences of bounds and NTA against the oracle minimum, per query (log-log, +1).</summary>
    public static void Oracle(ReportData data, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        string[] strategies = ["bounds", "nta"];
        double top = 1;
        for (int s = 0; s < strategies.Length; s++)
        {
            QueryMeasurement[] queries = data.DefaultQueries.Where(q => q.Strategy == strategies[s] && q.Oracle is not null).ToArray();
            if (queries.Length == 0)
            {
                continue;
            }

            double[] xs = queries.Select(q => Math.Log10(q.Oracle!.Value + 1)).ToArray();
            double[] ys = queries.Select(q => Math.Log10(q.Inferred + 1)).ToArray();
            top = Math.Max(top, Math.Max(xs.Max(), ys.Max()));
            var points = plot.Add.ScatterPoints(xs, ys);
            points.Color = palette.GetColor(s);
            points.MarkerSize = 6;
            points.LegendText = _strategyNames[Array.IndexOf(_strategies, strategies[s])];
        }

        var diagonal = plot.Add.Line(0, 0, Math.Ceiling(top), Math.Ceiling(top));
        diagonal.LegendText = "inferred = oracle";
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.Color = Colors.Gray;
        LogTicks(plot, 0, (int)Math.Ceiling(top), bottom: true);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title("Inputs inferred per query vs the oracle minimum (default index, all layers; log scale, +1)");
        plot.XLabel("oracle minimum + 1");
        plot.YLabel("inferred + 1");
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Storage (on-disk fraction of materialization) against median bounds latency over the grid.</summary>
    public static void Grid(ReportData data, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int l = 0; l < data.Results.Layers.Count; l++)
        {
            LayerInfo layer = data.Results.Layers[l];
            IndexMeasurement[] indexes = data.Results.Indexes.Where(i => i.Layer == layer.Role).ToArray();
            double[] xs = indexes.Select(i => i.DiskFraction * 100).ToArray();
            double[] ys = indexes.Select(i => Math.Log10(Math.Max(data.GridLatency(layer.Role, i.Partitions, i.Ratio).Median, 0.01))).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys);
            points.Color = palette.GetColor(l);
            points.MarkerSize = 8;
            points.LegendText = $"{layer.Role} ({layer.Neurons} neurons)";
            for (int i = 0; i < indexes.Length; i++)
            {
                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{indexes[i].Partitions}/{indexes[i].Ratio}"), xs[i], ys[i]);
                label.LabelFontSize = 10;
                label.LabelFontColor = palette.GetColor(l);
            }
        }

        var limit = plot.Add.VerticalLine(20);
        limit.LinePattern = LinePattern.Dashed;
        limit.Color = Colors.Gray;
        limit.LegendText = "paper: < 20% of materialization";
        LogTicks(plot, -1, 5);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title("Index grid: on-disk size vs median bounds latency, same targets at every point (labels: P/ratio)");
        plot.XLabel("index on disk, % of float32 materialization");
        plot.YLabel("median ms (log scale)");
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Cumulative time of the workload, per system.</summary>
    public static void Workload(ReportData data, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (WorkloadSystemResult system in data.Results.WorkloadSystems)
        {
            double total = 0;
            double[] ys = system.StepMs.Select(ms => (total += ms) / 1000).ToArray();
            double[] xs = Enumerable.Range(1, ys.Length).Select(x => (double)x).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.Color = palette.GetColor(i++);
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{ReportData.SystemName(system.System)}: {system.TotalMs / 1000:F1} s");
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title($"Interpretation session of {data.Results.Workload.Count} queries: cumulative time, setup included");
        plot.XLabel("queries");
        plot.YLabel("seconds");
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Ticks at powers of ten on a log10 axis (left, or bottom).</summary>
    private static void LogTicks(Plot plot, int from, int to, bool bottom = false)
    {
        var ticks = new List<Tick>();
        for (int e = from; e <= to; e++)
        {
            double value = Math.Pow(10, e);
            string label = value >= 1 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);
            ticks.Add(new Tick(e, label));
        }

        var generator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        if (bottom)
        {
            plot.Axes.Bottom.TickGenerator = generator;
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        }
        else
        {
            plot.Axes.Left.TickGenerator = generator;
        }
    }
}
