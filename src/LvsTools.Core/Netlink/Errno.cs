namespace LvsTools.Core.Netlink;

/// <summary>The Linux errno values the core inspects, and their names and kinds.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, EBADF = 9, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ENOSPC = 28, EROFS = 30, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENOTSUP = 95, EOPNOTSUPP = 95,
        EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENOBUFS = 105, ETIMEDOUT = 110, EPROTONOSUPPORT = 93,
        EMSGSIZE = 90, ENOPROTOOPT = 92, ENETUNREACH = 101;

    private static readonly Dictionary<int, string> Names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO",
        [E2BIG] = "E2BIG", [EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES",
        [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR",
        [EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENOSPC] = "ENOSPC", [EROFS] = "EROFS", [ERANGE] = "ERANGE",
        [ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [EOPNOTSUPP] = "EOPNOTSUPP", [EAFNOSUPPORT] = "EAFNOSUPPORT",
        [EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL", [ENOBUFS] = "ENOBUFS", [ETIMEDOUT] = "ETIMEDOUT",
        [EPROTONOSUPPORT] = "EPROTONOSUPPORT", [EMSGSIZE] = "EMSGSIZE", [ENOPROTOOPT] = "ENOPROTOOPT", [ENETUNREACH] = "ENETUNREACH",
    };

    /// <summary>The symbolic name (EEXIST) of an errno, or "errno N".</summary>
    public static string Name(int errno) => Names.TryGetValue(errno, out var n) ? n : $"errno {errno}";

    /// <summary>The kernel's own text for an errno (strerror).</summary>
    public static string Describe(int errno) => errno switch
    {
        EPERM => "Operation not permitted",
        ENOENT => "No such file or directory",
        ESRCH => "No such process",
        EACCES => "Permission denied",
        EBUSY => "Device or resource busy",
        EEXIST => "File exists",
        ENODEV => "No such device",
        EINVAL => "Invalid argument",
        ERANGE => "Numerical result out of range",
        ENOSPC => "No space left on device",
        ENOMEM => "Cannot allocate memory",
        EOPNOTSUPP => "Operation not supported",
        EAFNOSUPPORT => "Address family not supported by protocol",
        EADDRNOTAVAIL => "Cannot assign requested address",
        ENOBUFS => "No buffer space available",
        ETIMEDOUT => "Connection timed out",
        EMSGSIZE => "Message too long",
        EADDRINUSE => "Address already in use",
        ENETUNREACH => "Network is unreachable",
        _ => Name(errno),
    };

    /// <summary>The error map of the house style: errno to <see cref="LvsErrorKind"/>.</summary>
    public static LvsErrorKind Kind(int errno) => errno switch
    {
        EPERM or EACCES => LvsErrorKind.PermissionDenied,
        EEXIST or EADDRINUSE => LvsErrorKind.AlreadyExists,
        ENOENT or ESRCH or ENODEV or ENXIO or EADDRNOTAVAIL => LvsErrorKind.NotFound,
        EINVAL or ERANGE or E2BIG or ENAMETOOLONG or EAFNOSUPPORT => LvsErrorKind.InvalidArgument,
        EBUSY or ENOMEM or ENOSPC or ENOBUFS or EAGAIN => LvsErrorKind.ResourceBusy,
        EOPNOTSUPP or ENOSYS or EPROTONOSUPPORT => LvsErrorKind.NotSupported,
        ETIMEDOUT => LvsErrorKind.Timeout,
        _ => LvsErrorKind.OperationFailed,
    };
}
