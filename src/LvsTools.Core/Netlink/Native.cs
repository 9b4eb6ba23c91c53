using System.Runtime.InteropServices;

namespace LvsTools.Core.Netlink;

/// <summary>
/// The libc calls the core needs. A managed <see cref="System.Net.Sockets.Socket"/> cannot open AF_NETLINK
/// (EAFNOSUPPORT), so netlink sockets are plain file descriptors.
/// </summary>
internal static unsafe class Native
{
    private const string Libc = "libc";

    public const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    public const int SOL_NETLINK = 270, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;
    public const int MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40;
    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16;
    public const int AF_INET = 2, AF_INET6 = 10, SO_ERROR = 4, EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, IPPROTO_TCP = 6;
    public const int CLONE_NEWNET = 0x40000000;
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    public const int LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint Pid;
        public uint Groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [DllImport(Libc, SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport(Libc, SetLastError = true)]
    public static extern int bind(int fd, SockaddrNl* addr, int len);

    [DllImport(Libc, SetLastError = true)]
    public static extern int connect(int fd, byte* addr, int len);

    [DllImport(Libc, SetLastError = true)]
    public static extern int getsockopt(int fd, int level, int name, void* value, int* len);

    [DllImport(Libc, SetLastError = true)]
    public static extern int eventfd(uint initval, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint read(int fd, byte* buf, nint len);

    [DllImport(Libc, SetLastError = true)]
    public static extern int getsockname(int fd, SockaddrNl* addr, int* len);

    [DllImport(Libc, SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, void* value, int len);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint send(int fd, byte* buf, nint len, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint recv(int fd, byte* buf, nint len, int flags);

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>
    /// struct mmsghdr of a 64-bit Linux: struct msghdr (name, namelen, iov, iovlen, control, controllen, flags; 56 bytes)
    /// and, at offset 56, the length received (64 bytes). musl declares iovlen and controllen as int plus padding: the same
    /// bytes little-endian. Used only in a 64-bit process.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
        private readonly int _pad;
        public uint Length;
    }

    [DllImport(Libc, SetLastError = true)]
    public static extern int recvmmsg(int fd, MMsgHdr* msgvec, uint vlen, int flags, void* timeout);

    [DllImport(Libc, SetLastError = true)]
    public static extern int poll(PollFd* fds, ulong nfds, int timeout);

    [DllImport(Libc, SetLastError = true)]
    public static extern int close(int fd);

    [DllImport(Libc, SetLastError = true)]
    public static extern int setns(int fd, int nstype);

    [DllImport(Libc, SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport(Libc, SetLastError = true)]
    public static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    [DllImport(Libc, SetLastError = true)]
    public static extern int flock(int fd, int operation);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint write(int fd, byte* buf, nint len);

    private const int AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000, STATX_INO = 0x100;

    [DllImport(Libc, SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buf);

    /// <summary>What identifies a file: its inode and device (stat's st_ino and st_dev).</summary>
    public readonly record struct FileId(ulong Inode, uint DeviceMajor, uint DeviceMinor)
    {
        public ulong Device => ((ulong)DeviceMajor << 32) | DeviceMinor;
    }

    /// <summary>statx(2) of a path.</summary>
    public static bool Stat(string path, out FileId id, out int errno) => Statx(AT_FDCWD, path, 0, out id, out errno);

    /// <summary>statx(2) of an open file.</summary>
    public static bool FStat(int fd, out FileId id, out int errno) => Statx(fd, "", AT_EMPTY_PATH, out id, out errno);

    // struct statx (256 bytes, the same layout on every architecture): stx_ino at offset 32, stx_dev_major and
    // stx_dev_minor at 136 and 140.
    private static bool Statx(int dirfd, string path, int flags, out FileId id, out int errno)
    {
        byte* buf = stackalloc byte[256];
        while (true)
        {
            if (statx(dirfd, path, flags, STATX_INO, buf) == 0)
            {
                id = new FileId(*(ulong*)(buf + 32), *(uint*)(buf + 136), *(uint*)(buf + 140));
                errno = 0;
                return true;
            }
            errno = LastErrno;
            if (errno != Errno.EINTR)
            {
                id = default;
                return false;
            }
        }
    }

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
