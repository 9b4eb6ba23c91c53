using System.Runtime.InteropServices;

namespace LvsTools.Core.Netlink;

/// <summary>
/// The kernel refused a netlink request. Carries what mdlayher/netlink's OpError carries: the operation,
/// the errno, the extended-ack text and offset when the kernel sent them, and the request's sequence number.
/// A wire fact only: what it means to the application (kind, error id) is decided above this layer
/// (<see cref="LvsTools.KernelErrors"/>).
/// </summary>
public class NetlinkException(string operation, int errno, string? extAckMessage = null, uint? extAckOffset = null,
    uint sequence = 0, int requestIndex = -1)
    : Exception($"{operation} failed: {Netlink.Errno.Describe(errno)} ({Netlink.Errno.Name(errno)})"
        + (string.IsNullOrEmpty(extAckMessage) ? "." : $": {extAckMessage}."))
{
    /// <summary>What was being done, e.g. "RTM_NEWADDR" or "IPVS_CMD_NEW_SERVICE".</summary>
    public string Operation { get; } = operation;

    /// <summary>The positive errno the kernel answered with.</summary>
    public int Errno { get; } = errno;

    /// <summary>The kernel's extended-ack message (NLMSGERR_ATTR_MSG), if any.</summary>
    public string? ExtAckMessage { get; } = extAckMessage;

    /// <summary>The byte offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS), if any.</summary>
    public uint? ExtAckOffset { get; } = extAckOffset;

    /// <summary>The sequence number of the failed request.</summary>
    public uint Sequence { get; } = sequence;

    /// <summary>In a batch, the index of the failed request; otherwise -1.</summary>
    public int RequestIndex { get; } = requestIndex;
}

/// <summary>The kernel's reply broke the protocol (bad length, foreign sequence or port id, truncated datagram).</summary>
public sealed class NetlinkProtocolException(string message) : Exception(message);

/// <summary>No reply arrived within the connection's timeout.</summary>
public sealed class NetlinkTimeoutException(string operation, TimeSpan timeout)
    : Exception($"{operation}: the kernel did not answer within {timeout.TotalSeconds:0.#} s.")
{
    public string Operation { get; } = operation;

    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>A dump stayed inconsistent (NLM_F_DUMP_INTR) after every retry.</summary>
public sealed class NetlinkDumpInterruptedException(string operation, int attempts)
    : Exception($"{operation}: the table changed during each of {attempts} dumps (NLM_F_DUMP_INTR); no consistent list could be read.")
{
    public string Operation { get; } = operation;

    public int Attempts { get; } = attempts;
}

/// <summary>The generic netlink family <see cref="Family"/> is not registered (nlctrl answered ENOENT).</summary>
public sealed class GenericFamilyNotFoundException(string family, NetlinkException inner)
    : Exception($"The kernel has no generic netlink family \"{family}\".", inner)
{
    public string Family { get; } = family;
}

/// <summary>Linux errno values the core inspects, their symbolic names and the C library's text for them.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, EBADF = 9, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ENOSPC = 28, EROFS = 30, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, EOPNOTSUPP = 95,
        EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENOBUFS = 105, ETIMEDOUT = 110, EPROTONOSUPPORT = 93,
        EMSGSIZE = 90, ENOPROTOOPT = 92, ENETUNREACH = 101, ECONNRESET = 104, ENOTCONN = 107, ECONNREFUSED = 111, EHOSTUNREACH = 113,
        EINPROGRESS = 115;

    private static readonly Dictionary<int, string> Names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO",
        [E2BIG] = "E2BIG", [EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES",
        [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR",
        [EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENOSPC] = "ENOSPC", [EROFS] = "EROFS", [ERANGE] = "ERANGE",
        [ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [EOPNOTSUPP] = "EOPNOTSUPP", [EAFNOSUPPORT] = "EAFNOSUPPORT",
        [EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL", [ENOBUFS] = "ENOBUFS", [ETIMEDOUT] = "ETIMEDOUT",
        [EPROTONOSUPPORT] = "EPROTONOSUPPORT", [EMSGSIZE] = "EMSGSIZE", [ENOPROTOOPT] = "ENOPROTOOPT", [ENETUNREACH] = "ENETUNREACH",
        [ECONNRESET] = "ECONNRESET", [ENOTCONN] = "ENOTCONN", [ECONNREFUSED] = "ECONNREFUSED", [EHOSTUNREACH] = "EHOSTUNREACH", [EINPROGRESS] = "EINPROGRESS",
    };

    /// <summary>The symbolic name (EEXIST) of an errno, or "errno N".</summary>
    public static string Name(int errno) => Names.TryGetValue(errno, out var n) ? n : $"errno {errno}";

    /// <summary>The C library's text for an errno (strerror: "File exists").</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
