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
    public const short POLLIN = 1;
    public const int CLONE_NEWNET = 0x40000000;
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CLOEXEC = 0x80000;

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
    public static extern int getsockname(int fd, SockaddrNl* addr, int* len);

    [DllImport(Libc, SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, void* value, int len);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint send(int fd, byte* buf, nint len, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint recv(int fd, byte* buf, nint len, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int poll(PollFd* fds, ulong nfds, int timeout);

    [DllImport(Libc, SetLastError = true)]
    public static extern int close(int fd);

    [DllImport(Libc, SetLastError = true)]
    public static extern int setns(int fd, int nstype);

    [DllImport(Libc, SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint write(int fd, byte* buf, nint len);

    public const int AT_EMPTY_PATH = 0x1000, STATX_INO = 0x100;

    /// <summary>statx(2); with AT_EMPTY_PATH and an empty path it describes the open file <paramref name="dirfd"/>.
    /// The buffer is a struct statx (256 bytes); stx_ino is the u64 at offset 32.</summary>
    [DllImport(Libc, SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buf);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
