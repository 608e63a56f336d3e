using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using DeepEverest.Core.Files;

namespace DeepEverest.Core.Datasets;

/// <summary>
/// Streams the items of one array file (idx or .npy, either optionally gzip-compressed; the format
/// is recognised by content, not by name) in bounded memory: the header is read and checked when
/// the reader is created, then items are read a block at a time and converted to what the store
/// keeps (uint8 as is, floats as little-endian float32).
/// </summary>
/// <remarks>
/// A plain file must hold exactly the data its header declares (checked before anything is read).
/// A compressed file is checked while it inflates: a header that declares more than the
/// decompression limit is refused before inflating, fewer bytes than declared is a truncated file,
/// and a single byte beyond them is refused, so no file inflates past its declared size.
/// </remarks>
public sealed class ArrayFileReader : IDisposable
{
    private static readonly byte[] _npyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private readonly DataFile _file;
    private readonly Stream _data;
    private long _itemsRead;

    private ArrayFileReader(DataFile file, Stream data, ArrayHeader header, bool compressed)
    {
        _file = file;
        _data = data;
        Header = header;
        Compressed = compressed;
    }

    /// <summary>The parsed header.</summary>
    public ArrayHeader Header { get; }

    /// <summary>Whether the file is gzip-compressed.</summary>
    public bool Compressed { get; }

    /// <summary>How the file is named in messages: the request field and the path as given.</summary>
    public string What => $"{_file.Field} '{_file.Name}'";

    /// <summary>Bytes of the file (compressed bytes for a .gz) consumed so far, for progress.</summary>
    public long FilePosition => _file.Stream.Position;

    /// <summary>Size of the file in bytes.</summary>
    public long FileLength => _file.Length;

    /// <summary>Bytes one item takes in the store: uint8 elements as is, float elements as float32.</summary>
    public long StoredItemBytes => Header.ItemElements * (Header.Format == ElementFormat.UInt8 ? 1 : 4);

    /// <summary>Opens <paramref name="file"/> (the reader takes it over) and reads its header.</summary>
    /// <param name="file">The file.</param>
    /// <param name="maxDecompressedBytes">Most bytes a compressed file may inflate to.</param>
    /// <exception cref="DeepEverestException">InvalidArgument naming the field when the header does not parse, its sizes overflow, or the data does not match them.</exception>
    public static ArrayFileReader Open(DataFile file, long maxDecompressedBytes)
    {
        try
        {
            return OpenCore(file, maxDecompressedBytes);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static ArrayFileReader OpenCore(DataFile file, long maxDecompressedBytes)
    {
        string what = $"{file.Field} '{file.Name}'";
        var first = new byte[2];
        int n = file.Stream.ReadAtLeast(first, 2, throwOnEndOfStream: false);
        bool compressed = n == 2 && first[0] == 0x1f && first[1] == 0x8b;
        file.Stream.Position = 0;
        Stream data = compressed ? new GZipStream(new BufferedStream(file.Stream, 1 << 16), CompressionMode.Decompress, leaveOpen: true) : file.Stream;
        try
        {
            ArrayHeader header;
            long headerBytes;
            var magic = new byte[6];
            int got = ReadSome(data, magic.AsSpan(0, 4), what);
            if (got == 4 && magic[0] == 0 && magic[1] == 0)
            {
                header = ArrayHeader.ReadIdx(data, magic, what);
                headerBytes = 4 + (4L * magic[3]);
            }
            else if (got == 4 && magic.AsSpan(0, 4).SequenceEqual(_npyMagic.AsSpan(0, 4)) && ReadSome(data, magic.AsSpan(4, 2), what) == 2 && magic.AsSpan().SequenceEqual(_npyMagic))
            {
                header = ArrayHeader.ReadNpy(data, what);
                headerBytes = -1;
            }
            else
            {
                throw DeepEverestException.Invalid($"{what} is neither an idx nor a .npy file (optionally gzip-compressed): its first bytes are not a known magic number.");
            }

            if (compressed)
            {
                if (header.DataBytes > maxDecompressedBytes)
                {
                    throw new DeepEverestException(
                        ErrorKind.ResourceExhausted,
                        $"{what}: its header declares {header.DataBytes} bytes of data, over the decompression limit of {maxDecompressedBytes >> 20} MiB "
                        + "(setting DeepEverest:MaxDecompressedMb); import it uncompressed or raise the limit.");
                }
            }
            else
            {
                if (headerBytes < 0)
                {
                    headerBytes = file.Stream.Position;
                }

                long present = file.Length - headerBytes;
                if (present < header.DataBytes)
                {
                    throw DeepEverestException.Invalid(
                        $"{what}: its header declares {header.DataBytes} bytes of data for shape [{string.Join(", ", header.Shape)}] ({header.Format}) but the file holds {present} (truncated?).");
                }

                if (present > header.DataBytes)
                {
                    throw DeepEverestException.Invalid(
                        $"{what}: the file holds {present} bytes of data, more than the {header.DataBytes} its header declares for shape [{string.Join(", ", header.Shape)}] ({header.Format}).");
                }
            }

            return new ArrayFileReader(file, data, header, compressed);
        }
        catch (InvalidDataException e)
        {
            if (compressed)
            {
                data.Dispose();
            }

            throw DeepEverestException.Invalid($"{what} is not a valid gzip file ({e.Message}).");
        }
        catch
        {
            if (compressed)
            {
                data.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Reads the next items into <paramref name="destination"/> as stored (uint8, or float32 LE),
    /// as many whole items as fit and remain; returns how many. Float values must be finite.
    /// </summary>
    public int ReadItems(Span<byte> destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long itemBytes = StoredItemBytes;
        int items = (int)Math.Min(destination.Length / itemBytes, Header.Items - _itemsRead);
        if (items == 0)
        {
            return 0;
        }

        int elements = checked((int)(items * Header.ItemElements));
        Span<byte> stored = destination[..checked((int)(items * itemBytes))];
        ElementFormat format = Header.Format;
        if (format.Size == 8)
        {
            // float64: read in slices through a scratch buffer, rounding each value to float32.
            Span<float> floats = MemoryMarshal.Cast<byte, float>(stored);
            var scratch = new byte[Math.Min(elements, 1 << 16) * 8];
            for (int done = 0; done < elements;)
            {
                int count = Math.Min(elements - done, scratch.Length / 8);
                ReadExactly(scratch.AsSpan(0, count * 8));
                for (int i = 0; i < count; i++)
                {
                    double value = format.BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(scratch.AsSpan(8 * i)) : BinaryPrimitives.ReadDoubleLittleEndian(scratch.AsSpan(8 * i));
                    floats[done + i] = (float)value;
                }

                done += count;
            }
        }
        else
        {
            ReadExactly(stored);
            if (format.Size == 4 && format.BigEndian)
            {
                Span<uint> words = MemoryMarshal.Cast<byte, uint>(stored);
                BinaryPrimitives.ReverseEndianness(words, words);
            }
        }

        if (format.Kind == 'f')
        {
            ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(stored);
            int bad = IndexOfNonFinite(values);
            if (bad >= 0)
            {
                long item = _itemsRead + (bad / Header.ItemElements);
                throw DeepEverestException.Invalid($"{What}: input {item} holds a value that is not finite ({values[bad]}) or does not fit float32; inputs must be finite.");
            }
        }

        _itemsRead += items;
        return items;
    }

    /// <summary>
    /// Moves past the next <paramref name="count"/> items without keeping them (an import of an
    /// input range): a plain file seeks, a compressed one inflates them into a small scratch buffer.
    /// Skipped items are not checked (their values are never stored).
    /// </summary>
    public void SkipItems(long count, CancellationToken cancellationToken)
    {
        if (count < 0 || count > Header.Items - _itemsRead)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Cannot skip {count} of the {Header.Items - _itemsRead} items left.");
        }

        long bytes = count * Header.ItemElements * Header.Format.Size;
        if (!Compressed && _data.CanSeek)
        {
            _data.Seek(bytes, SeekOrigin.Current);
        }
        else
        {
            var scratch = new byte[1 << 16];
            for (long left = bytes; left > 0;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int chunk = (int)Math.Min(left, scratch.Length);
                ReadExactly(scratch.AsSpan(0, chunk));
                left -= chunk;
            }
        }

        _itemsRead += count;
    }

    /// <summary>Reads every item of a 1-D integer file as a label, each in [0, 2^31 - 1].</summary>
    public int[] ReadLabels(CancellationToken cancellationToken)
    {
        ElementFormat format = Header.Format;
        if (Header.Shape.Length != 1 || !format.IsInteger)
        {
            throw DeepEverestException.Invalid(
                $"{What} is not a 1-D array of integer labels: shape [{string.Join(", ", Header.Shape)}], type {format}.");
        }

        if (Header.Items > Array.MaxLength)
        {
            throw DeepEverestException.Invalid($"{What} declares {Header.Items} labels; a dataset holds at most 2^31-1 inputs.");
        }

        var labels = new int[Header.Items];
        var block = new byte[1 << 16];
        int perBlock = block.Length / format.Size;
        for (int start = 0; start < labels.Length; start += perBlock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(perBlock, labels.Length - start);
            Span<byte> bytes = block.AsSpan(0, count * format.Size);
            ReadExactly(bytes);
            for (int i = 0; i < count; i++)
            {
                long value = ReadInteger(bytes.Slice(i * format.Size, format.Size), format, out bool tooLarge);
                if (tooLarge || value is < 0 or > int.MaxValue)
                {
                    string shown = tooLarge ? "above 2^63" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    throw DeepEverestException.Invalid($"{What}: label {start + i} is {shown}; labels must be integers in [0, 2^31 - 1].");
                }

                labels[start + i] = (int)value;
            }
        }

        _itemsRead = labels.Length;
        return labels;
    }

    /// <summary>After the last item: refuses a compressed file that inflates beyond its declared data.</summary>
    public void EnsureEnd()
    {
        if (Compressed)
        {
            Span<byte> one = stackalloc byte[1];
            if (ReadSome(_data, one, What) != 0)
            {
                throw DeepEverestException.Invalid($"{What} inflates to more data than the {Header.DataBytes} bytes its header declares.");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Compressed)
        {
            _data.Dispose();
        }

        _file.Dispose();
    }

    private static long ReadInteger(ReadOnlySpan<byte> e, ElementFormat format, out bool tooLarge)
    {
        tooLarge = false;
        bool big = format.BigEndian;
        bool signed = format.Kind == 'i';
        switch (format.Size)
        {
            case 1:
                return signed ? (sbyte)e[0] : e[0];
            case 2:
                return signed
                    ? (big ? BinaryPrimitives.ReadInt16BigEndian(e) : BinaryPrimitives.ReadInt16LittleEndian(e))
                    : (big ? BinaryPrimitives.ReadUInt16BigEndian(e) : BinaryPrimitives.ReadUInt16LittleEndian(e));
            case 4:
                return signed
                    ? (big ? BinaryPrimitives.ReadInt32BigEndian(e) : BinaryPrimitives.ReadInt32LittleEndian(e))
                    : (big ? BinaryPrimitives.ReadUInt32BigEndian(e) : BinaryPrimitives.ReadUInt32LittleEndian(e));
            default:
                if (signed)
                {
                    return big ? BinaryPrimitives.ReadInt64BigEndian(e) : BinaryPrimitives.ReadInt64LittleEndian(e);
                }

                ulong unsigned = big ? BinaryPrimitives.ReadUInt64BigEndian(e) : BinaryPrimitives.ReadUInt64LittleEndian(e);
                tooLarge = unsigned > long.MaxValue;
                return tooLarge ? 0 : (long)unsigned;
        }
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private void ReadExactly(Span<byte> buffer)
    {
        if (ReadSome(_data, buffer, What) < buffer.Length)
        {
            throw DeepEverestException.Invalid(
                $"{What} ends before the {Header.DataBytes} bytes of data its header declares for shape [{string.Join(", ", Header.Shape)}] (truncated?).");
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; turns gzip corruption into InvalidArgument.</summary>
    private static int ReadSome(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw DeepEverestException.Invalid($"{what} is not a valid gzip file ({e.Message}).");
        }
    }
}
