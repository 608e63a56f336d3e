using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace DeepEverest.Core.Files;

/// <summary>
/// The few Linux calls <see cref="ConfinedOpener"/> needs to walk a path one component at a time
/// (openat, statx, readlinkat, realpath) and to list a directory (readdir), bound without unsafe code. <c>struct statx</c> has the
/// same layout on every Linux architecture, unlike <c>struct stat</c>; the open flags that differ
/// between architectures are chosen at run time.
/// </summary>
internal static class LinuxFiles
{
    /// <summary>Error numbers the walk distinguishes (asm-generic values, shared by x86-64 and arm64).</summary>
    public const int ENOENT = 2;

    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;

    /// <summary>A path component is not a directory.</summary>
    public const int ENOTDIR = 20;

    /// <summary>A name is too long.</summary>
    public const int ENAMETOOLONG = 36;

    /// <summary>Too many symbolic links (or O_NOFOLLOW met one).</summary>
    public const int ELOOP = 40;

    private const int OReadOnly = 0;
    private const int ONonBlock = 0x800;      // 04000
    private const int OCloseOnExec = 0x80000; // 02000000
    private const int OPath = 0x200000;       // 010000000

    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;

    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const uint StatxSize = 0x200;

    private const int StatxBufferBytes = 256;

    // Offset of d_name in struct dirent (d_ino, d_off: 8 bytes each; d_reclen: 2; d_type: 1) on
    // 64-bit Linux, glibc and musl alike.
    private const int DirentNameOffset = 19;

    // O_NOFOLLOW is 0400000 on x86 and the asm-generic ABI, 0100000 on arm and arm64.
    private static readonly int _noFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 ? 0x8000 : 0x20000;

    // O_DIRECTORY is 0200000 on x86 and the asm-generic ABI, 040000 on arm and arm64.
    private static readonly int _directory = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 ? 0x4000 : 0x10000;

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>File types, from <c>stx_mode &amp; S_IFMT</c>.</summary>
    public enum FileKind
    {
        /// <summary>A regular file.</summary>
        Regular,

        /// <summary>A directory.</summary>
        Directory,

        /// <summary>A symbolic link.</summary>
        SymbolicLink,

        /// <summary>A FIFO, socket, character or block device.</summary>
        Other,
    }

    /// <summary>What statx reported about one file.</summary>
    public readonly record struct FileFacts(FileKind Kind, long Size, ulong Inode, ulong Device);

    /// <summary>
    /// Opens <paramref name="name"/> in <paramref name="directory"/> as an O_PATH descriptor without
    /// following a final symbolic link: it names the file without opening its contents, so it never
    /// blocks (FIFOs) and has no side effects (devices). Returns -1 and sets the error number on failure.
    /// </summary>
    public static int OpenPath(int directory, string name) => openat(directory, name, OPath | _noFollow | OCloseOnExec, 0);

    /// <summary>Opens a directory by absolute path as an O_PATH descriptor (links followed).</summary>
    public static int OpenDirectoryPath(string path) => openat(-100 /* AT_FDCWD */, path, OPath | OCloseOnExec, 0);

    /// <summary>
    /// Opens <paramref name="name"/> in <paramref name="directory"/> for reading, never following a
    /// symbolic link and never blocking on a FIFO (O_NONBLOCK only affects FIFOs and devices).
    /// </summary>
    public static int OpenForReading(int directory, string name) => openat(directory, name, OReadOnly | _noFollow | ONonBlock | OCloseOnExec, 0);

    /// <summary>Facts about the file a descriptor refers to (a symbolic link itself for O_PATH|O_NOFOLLOW descriptors).</summary>
    public static FileFacts? Stat(int fd)
    {
        var buffer = new byte[StatxBufferBytes];
        if (statx(fd, string.Empty, AtEmptyPath | AtSymlinkNoFollow, StatxType | StatxSize | StatxIno, buffer) != 0)
        {
            return null;
        }

        ushort mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        FileKind kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32));
        long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(40));
        ulong device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(136)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(140));
        return new FileFacts(kind, size, inode, device);
    }

    /// <summary>The target of the symbolic link an O_PATH|O_NOFOLLOW descriptor refers to, or null.</summary>
    public static string? ReadLink(int fd)
    {
        var buffer = new byte[4096];
        nint length = readlinkat(fd, string.Empty, buffer, buffer.Length);
        return length < 0 || length >= buffer.Length ? null : Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>The canonical absolute path of an existing directory, or null.</summary>
    public static string? RealPath(string path)
    {
        var buffer = new byte[4097];
        if (realpath(path, buffer) == IntPtr.Zero)
        {
            return null;
        }

        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    /// <summary>
    /// The names in the directory an O_PATH descriptor refers to, but "." and "..", read with
    /// readdir: no entry is examined or followed (unlike the managed enumeration, which stats the
    /// target of every symbolic link). Null when the directory cannot be read (errno set).
    /// </summary>
    /// <exception cref="DecoderFallbackException">A name is not valid UTF-8.</exception>
    public static List<string>? ListNames(int directory)
    {
        int fd = openat(directory, ".", OReadOnly | _directory | _noFollow | OCloseOnExec, 0);
        if (fd < 0)
        {
            return null;
        }

        IntPtr stream = fdopendir(fd);
        if (stream == IntPtr.Zero)
        {
            Close(fd);
            return null;
        }

        try
        {
            var names = new List<string>();
            while (true)
            {
                IntPtr entry = readdir(stream);
                if (entry == IntPtr.Zero)
                {
                    // End of the directory when errno is still 0 (cleared before each call).
                    return LastError == 0 ? names : null;
                }

                IntPtr name = entry + DirentNameOffset;
                int length = 0;
                while (Marshal.ReadByte(name, length) != 0)
                {
                    length++;
                }

                var bytes = new byte[length];
                Marshal.Copy(name, bytes, 0, length);
                string decoded = _strictUtf8.GetString(bytes);
                if (decoded is not ("." or ".."))
                {
                    names.Add(decoded);
                }
            }
        }
        finally
        {
            // Closes fd too.
            _ = closedir(stream);
        }
    }

    /// <summary>Closes a descriptor (ignoring errors: nothing was written through it).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    /// <summary>The error number of the last failed call.</summary>
    public static int LastError => Marshal.GetLastPInvokeError();

    // Classic DllImport keeps the marshalling in the runtime: the source-generated LibraryImport
    // would need unsafe code, which only the kernels project allows.
#pragma warning disable SYSLIB1054
    [DllImport("libc", SetLastError = true)]
    private static extern int openat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, [Out] byte[] statxbuf);

    [DllImport("libc", SetLastError = true)]
    private static extern nint readlinkat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, [Out] byte[] buf, nint bufsiz);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] resolved);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr fdopendir(int fd);

    // SetLastError clears errno before the call: readdir signals an error only through it.
    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr readdir(IntPtr dirp);

    [DllImport("libc", SetLastError = true)]
    private static extern int closedir(IntPtr dirp);
#pragma warning restore SYSLIB1054
}
