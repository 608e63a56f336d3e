using System.Runtime.InteropServices;
using DeepEverest.Core.Storage;

namespace DeepEverest.Core.Indexing;

/// <summary>
/// The n x neurons activations of one layer, gathered during the single inference pass and handed
/// back neuron-major in blocks of neurons. When the whole matrix does not fit in the memory budget,
/// each block's rows are spilled to a temporary file while inference runs and read back one block
/// at a time, so inference never runs twice. The spill files of one build live in their own
/// directory under the spill root, locked while the build runs, so a build killed mid-way leaves
/// a directory the next start recognizes and removes (<see cref="OwnedDirectory.Sweep"/>).
/// </summary>
internal sealed class ActivationMatrix : IDisposable
{
    private readonly int _inputs;
    private readonly int _neurons;
    private readonly float[][]? _memoryBlocks;
    private readonly FileStream[]? _spillFiles;
    private readonly OwnedDirectory? _spillDirectory;
    private int _rowsAppended;

    /// <summary>Name prefix of the per-build spill directories.</summary>
    public const string DirectoryPrefix = "build-";

    /// <summary>Sets up storage for n inputs x neurons within the budget; spill files go under <paramref name="tempRoot"/>.</summary>
    public ActivationMatrix(int inputs, int neurons, long memoryBudgetBytes, string tempRoot)
    {
        _inputs = inputs;
        _neurons = neurons;
        long columnBytes = inputs * 4L;
        long totalBytes = columnBytes * neurons;
        // One array holds at most 2^31-1 floats; larger in-memory matrices are split into blocks too.
        int maxPerArray = (int)Math.Max(1, (Array.MaxLength - 1L) / inputs);
        if (totalBytes <= memoryBudgetBytes)
        {
            BlockNeurons = Math.Min(neurons, maxPerArray);
        }
        else
        {
            if (columnBytes > memoryBudgetBytes)
            {
                throw new DeepEverestException(ErrorKind.ResourceExhausted,
                    $"The memory budget ({memoryBudgetBytes >> 20} MiB) is below one neuron's column ({columnBytes >> 20} MiB for {inputs} inputs); raise it.");
            }

            BlockNeurons = (int)Math.Min(Math.Min(neurons, memoryBudgetBytes / columnBytes), maxPerArray);
            Spilled = true;
        }

        BlockCount = (neurons + BlockNeurons - 1) / BlockNeurons;
        if (Spilled)
        {
            Directory.CreateDirectory(tempRoot);
            _spillDirectory = OwnedDirectory.Create(tempRoot, DirectoryPrefix);
            _spillFiles = new FileStream[BlockCount];
            try
            {
                for (int b = 0; b < BlockCount; b++)
                {
                    _spillFiles[b] = new FileStream(Path.Combine(_spillDirectory.FullPath, $"block-{b}.f32"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }
        else
        {
            _memoryBlocks = new float[BlockCount][];
            for (int b = 0; b < BlockCount; b++)
            {
                _memoryBlocks[b] = new float[(long)BlockSize(b) * inputs];
            }
        }
    }

    /// <summary>Whether rows go to temporary files.</summary>
    public bool Spilled { get; }

    /// <summary>Neurons per block (the last may hold fewer).</summary>
    public int BlockNeurons { get; }

    /// <summary>Number of neuron blocks.</summary>
    public int BlockCount { get; }

    private int BlockSize(int block) => Math.Min(BlockNeurons, _neurons - block * BlockNeurons);

    /// <summary>Appends the next <paramref name="count"/> inputs' rows (count x neurons, row-major).</summary>
    public void AppendRows(ReadOnlySpan<float> rows, int count)
    {
        int first = _rowsAppended;
        for (int b = 0; b < BlockCount; b++)
        {
            int start = b * BlockNeurons;
            int size = BlockSize(b);
            if (_memoryBlocks is not null)
            {
                float[] columns = _memoryBlocks[b];
                // Transposes in tiles of 16 rows so writes to each column stay in cache lines.
                for (int r0 = 0; r0 < count; r0 += 16)
                {
                    int r1 = Math.Min(count, r0 + 16);
                    for (int j = 0; j < size; j++)
                    {
                        long column = (long)j * _inputs + first;
                        for (int r = r0; r < r1; r++)
                        {
                            columns[column + r] = rows[r * _neurons + start + j];
                        }
                    }
                }
            }
            else
            {
                FileStream file = _spillFiles![b];
                for (int r = 0; r < count; r++)
                {
                    file.Write(MemoryMarshal.AsBytes(rows.Slice(r * _neurons + start, size)));
                }
            }
        }

        _rowsAppended += count;
    }

    /// <summary>
    /// Yields each block as (first neuron, neurons, columns[j*n + i]). A spilled block's buffer is
    /// reused for the next block: consume it before moving on.
    /// </summary>
    public IEnumerable<(int FirstNeuron, int Count, float[] Columns)> Blocks()
    {
        if (_rowsAppended != _inputs)
        {
            throw new InvalidOperationException($"Only {_rowsAppended} of {_inputs} rows were appended.");
        }

        float[]? buffer = Spilled ? new float[(long)BlockNeurons * _inputs] : null;
        for (int b = 0; b < BlockCount; b++)
        {
            int size = BlockSize(b);
            if (_memoryBlocks is not null)
            {
                yield return (b * BlockNeurons, size, _memoryBlocks[b]);
                continue;
            }

            FileStream file = _spillFiles![b];
            file.Flush();
            file.Position = 0;
            var row = new float[size];
            Span<byte> rowBytes = MemoryMarshal.AsBytes(row.AsSpan());
            for (int i = 0; i < _inputs; i++)
            {
                file.ReadExactly(rowBytes);
                for (int j = 0; j < size; j++)
                {
                    buffer![(long)j * _inputs + i] = row[j];
                }
            }

            yield return (b * BlockNeurons, size, buffer!);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_spillFiles is not null)
        {
            foreach (FileStream? file in _spillFiles)
            {
                try
                {
                    file?.Dispose();
                }
                catch (IOException)
                {
                    // Flushing a write buffer on a full disk: the file goes with its directory.
                }
            }
        }

        _spillDirectory?.Dispose();
    }
}
