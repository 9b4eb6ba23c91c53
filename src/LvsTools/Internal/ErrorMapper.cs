using System.Management.Automation;
using LvsTools.Core.Netlink;

namespace LvsTools.Internal;

/// <summary>
/// The one place exceptions become ErrorRecords. Core exceptions carry their kind and, where the core knows
/// the context, a stable id; kernel errors (a bare errno) get an id from the cmdlet's context instead.
/// Nothing else escapes: an unexpected exception becomes an ErrorRecord with its message, never a stack trace.
/// </summary>
internal static class ErrorMapper
{
    public static ErrorCategory Category(LvsErrorKind kind) => kind switch
    {
        LvsErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        LvsErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        LvsErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        LvsErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        LvsErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        LvsErrorKind.ProtocolError => ErrorCategory.ProtocolError,
        LvsErrorKind.Timeout => ErrorCategory.OperationTimeout,
        LvsErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        LvsErrorKind.NotSupported => ErrorCategory.NotImplemented,
        LvsErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>The id suffix for a kind: "NetAlias" + "Exists" = "NetAliasExists".</summary>
    public static string Suffix(LvsErrorKind kind) => kind switch
    {
        LvsErrorKind.InvalidArgument => "Invalid",
        LvsErrorKind.NotFound => "NotFound",
        LvsErrorKind.AlreadyExists => "Exists",
        LvsErrorKind.PermissionDenied => "PermissionDenied",
        LvsErrorKind.NotInstalled => "NotInstalled",
        LvsErrorKind.ProtocolError => "ProtocolError",
        LvsErrorKind.Timeout => "Timeout",
        LvsErrorKind.ResourceBusy => "Busy",
        LvsErrorKind.NotSupported => "NotSupported",
        LvsErrorKind.LimitsExceeded => "TooLarge",
        _ => "Failed",
    };

    /// <param name="e">The failure.</param>
    /// <param name="subject">The noun of the context ("NetAlias", "LvsService"); ids are subject + kind suffix.</param>
    /// <param name="target">The object the cmdlet was working on, when the exception does not name one.</param>
    /// <param name="overrides">Context ids by kind, e.g. NotFound → "InterfaceNotFound".</param>
    public static ErrorRecord ToRecord(Exception e, string subject, object? target = null,
        IReadOnlyDictionary<LvsErrorKind, string>? overrides = null)
    {
        if (KernelErrors.ToLvsException(e) is { } lvs)
        {
            string id = lvs.ErrorId.Length > 0 ? lvs.ErrorId
                : overrides is not null && overrides.TryGetValue(lvs.Kind, out var o) ? o
                : lvs.Kind == LvsErrorKind.PermissionDenied ? "PermissionDenied"
                : subject + Suffix(lvs.Kind);
            var message = lvs.Kind == LvsErrorKind.PermissionDenied && FindNetlink(lvs) is { } refused
                ? lvs.Message + " " + PermissionAdvice(refused.Operation)
                : lvs.Message;
            // The inner exception is what the core threw (a netlink refusal keeps its Errno one level down, as scripts read it).
            return new ErrorRecord(new LvsErrorException(message, e), id, Category(lvs.Kind), lvs.Target ?? target);
        }
        switch (e)
        {
            case PipelineStoppedException or OperationCanceledException:
                throw e;
            case RuntimeException { ErrorRecord: { } own }:
                return own; // PowerShell's own error (a refused prompt, a host without UI): keep its id and category
            default:
                return new ErrorRecord(new LvsErrorException(LvsException.ClipValues(e.Message, target), e), subject + "UnexpectedError",
                    ErrorCategory.NotSpecified, target);
        }
    }

    /// <summary>The kernel's refusal behind an error, if there is one (a batch wraps it in an LvsException naming the step).</summary>
    private static NetlinkException? FindNetlink(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is NetlinkException n)
                return n;
        return null;
    }

    /// <summary>
    /// What a refused netlink request needs, by what it did. Reads and writes differ: `ip addr` and `ip link` reads are open
    /// to every user, so a refused RTM_GET* is a security policy's doing; IPVS marks every command GENL_ADMIN_PERM
    /// (ip_vs_ctl.c), so even listing services needs CAP_NET_ADMIN; every change needs CAP_NET_ADMIN.
    /// </summary>
    public static string PermissionAdvice(string operation)
    {
        bool read = operation.Contains("_GET", StringComparison.Ordinal);
        if (read && operation.StartsWith("IPVS_", StringComparison.Ordinal))
            return "Reading IPVS (services, real servers, timeouts, sync daemons, statistics) needs root (or CAP_NET_ADMIN): the kernel "
                + "refuses every IPVS request, reads too, from other users. Run as root, or give the process that capability.";
        if (read)
            return "Reading interfaces and addresses is open to every user, so a security policy (SELinux, AppArmor, seccomp) or "
                + "a restricted container refused it here: ask the administrator, or run as root.";
        return "Changing network configuration needs root (or CAP_NET_ADMIN): run as root, or give the process that capability.";
    }
}

/// <summary>The exception inside LvsTools ErrorRecords: the message the user reads, the core exception as inner.</summary>
public sealed class LvsErrorException : Exception
{
    public LvsErrorException(string message, Exception inner) : base(message, inner) { }
}
