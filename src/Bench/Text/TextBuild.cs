using DeepEverest.Bench.Results;

namespace DeepEverest.Bench.Text;

/// <summary>One index build.</summary>
/// <param name="Index">The build: wall time, inference and construction, bytes written and on disk, float32 materialization.</param>
/// <param name="PassMs">One brute-force inference pass over every window (the reference answers' pass).</param>
public sealed record TextBuild(IndexMeasurement Index, double PassMs);
