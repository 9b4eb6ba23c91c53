using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// What the kernel's answers mean to LvsTools: errno to <see cref="LvsErrorKind"/>, and the netlink layer's failures to
/// <see cref="LvsException"/>. The wire layer (LvsTools.Core.Netlink) only reports what happened; this is the one place
/// that decides the kind, the error id and the message a user sees.
/// </summary>
public static class KernelErrors
{
    /// <summary>The error map of the house style: errno to <see cref="LvsErrorKind"/>.</summary>
    public static LvsErrorKind Kind(int errno) => errno switch
    {
        Errno.EPERM or Errno.EACCES => LvsErrorKind.PermissionDenied,
        Errno.EEXIST or Errno.EADDRINUSE => LvsErrorKind.AlreadyExists,
        Errno.ENOENT or Errno.ESRCH or Errno.ENODEV or Errno.ENXIO or Errno.EADDRNOTAVAIL => LvsErrorKind.NotFound,
        Errno.EINVAL or Errno.ERANGE or Errno.E2BIG or Errno.ENAMETOOLONG or Errno.EAFNOSUPPORT => LvsErrorKind.InvalidArgument,
        Errno.EBUSY or Errno.ENOMEM or Errno.ENOSPC or Errno.ENOBUFS or Errno.EAGAIN => LvsErrorKind.ResourceBusy,
        Errno.EOPNOTSUPP or Errno.ENOSYS or Errno.EPROTONOSUPPORT => LvsErrorKind.NotSupported,
        Errno.ETIMEDOUT => LvsErrorKind.Timeout,
        _ => LvsErrorKind.OperationFailed,
    };

    /// <summary>
    /// A kernel refusal as an <see cref="LvsException"/>: the kind from the errno, no error id (the caller names it from
    /// its context, e.g. "NetAlias" + "Exists"), the refusal as the inner exception.
    /// </summary>
    public static LvsException From(NetlinkException e) => new(Kind(e.Errno), string.Empty, e.Message, null, e);

    /// <summary>
    /// The <see cref="LvsException"/> a failure stands for: itself when it is one, the mapped form of a netlink failure
    /// (refusal, protocol error, timeout, interrupted dump, missing generic family), or null for any other exception.
    /// </summary>
    public static LvsException? ToLvsException(Exception e) => e switch
    {
        LvsException lvs => lvs,
        NetlinkException n => From(n),
        GenericFamilyNotFoundException f => new LvsException(LvsErrorKind.NotInstalled, $"{f.Family}NotInstalled",
            $"The kernel has no generic netlink family \"{f.Family}\"" + (f.Family == "IPVS"
                ? " (IPVS is not available: load the ip_vs module with 'modprobe ip_vs', or use a kernel built with CONFIG_IP_VS)."
                : "."), f.Family, f),
        NetlinkProtocolException => new LvsException(LvsErrorKind.ProtocolError, "NetlinkProtocolError", e.Message, null, e),
        NetlinkTimeoutException => new LvsException(LvsErrorKind.Timeout, "NetlinkTimeout", e.Message, null, e),
        NetlinkDumpInterruptedException => new LvsException(LvsErrorKind.ResourceBusy, "NetlinkDumpInterrupted", e.Message, null, e),
        _ => null,
    };
}
