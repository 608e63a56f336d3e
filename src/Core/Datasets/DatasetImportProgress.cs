namespace DeepEverest.Core.Datasets;

/// <summary>How far an import has got.</summary>
/// <param name="PartsDone">Parts (class folders, for an image folder) completely read.</param>
/// <param name="PartsTotal">Parts in the request (class folders, for an image folder).</param>
/// <param name="InputsDone">Inputs written so far.</param>
/// <param name="InputsTotal">Inputs the files' headers declare.</param>
/// <param name="BytesDone">Bytes of the inputs files (or image files) read (compressed bytes for gzip files).</param>
/// <param name="BytesTotal">Total size of the inputs files (or image files).</param>
/// <param name="Elapsed">Time since the import started reading.</param>
/// <param name="PartName">What a part is, for messages: "part", or "class" for an image folder.</param>
public sealed record DatasetImportProgress(int PartsDone, int PartsTotal, long InputsDone, long InputsTotal, long BytesDone, long BytesTotal, TimeSpan Elapsed, string PartName = "part");
