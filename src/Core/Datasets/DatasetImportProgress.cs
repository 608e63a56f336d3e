namespace DeepEverest.Core.Datasets;

/// <summary>How far an import has got.</summary>
/// <param name="PartsDone">Parts completely read.</param>
/// <param name="PartsTotal">Parts in the request.</param>
/// <param name="InputsDone">Inputs written so far.</param>
/// <param name="InputsTotal">Inputs the files' headers declare.</param>
/// <param name="BytesDone">Bytes of the inputs files read (compressed bytes for gzip files).</param>
/// <param name="BytesTotal">Total size of the inputs files.</param>
/// <param name="Elapsed">Time since the import started reading.</param>
public sealed record DatasetImportProgress(int PartsDone, int PartsTotal, long InputsDone, long InputsTotal, long BytesDone, long BytesTotal, TimeSpan Elapsed);
