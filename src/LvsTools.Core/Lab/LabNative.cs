using System.Runtime.InteropServices;

namespace LvsTools.Core.Lab;

/// <summary>The libc calls the lab needs beyond the netlink core's: namespaces as files, sessions, signals.</summary>
internal static class LabNative
{
    private const string Libc = "libc";

    public const ulong MS_BIND = 0x1000, MS_REC = 0x4000, MS_SHARED = 1 << 20;
    public const int MNT_DETACH = 2, O_EXCL = 0x80, SIGKILL = 9;

    [DllImport(Libc, SetLastError = true)]
    public static extern int unshare(int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int mount([MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string fstype, ulong flags, nint data);

    [DllImport(Libc, SetLastError = true)]
    public static extern int umount2([MarshalAs(UnmanagedType.LPUTF8Str)] string target, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int unlink([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport(Libc, SetLastError = true)]
    public static extern int setsid();

    [DllImport(Libc, SetLastError = true)]
    public static extern int dup2(int oldfd, int newfd);

    [DllImport(Libc, SetLastError = true)]
    public static extern int kill(int pid, int signal);
}
