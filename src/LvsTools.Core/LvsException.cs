namespace LvsTools;

/// <summary>What kind of failure an <see cref="LvsException"/> is; the cmdlets map it to an ErrorCategory.</summary>
public enum LvsErrorKind
{
    /// <summary>The caller passed a value the kernel or LvsTools cannot accept.</summary>
    InvalidArgument,
    /// <summary>An interface, address, service, namespace or key does not exist.</summary>
    NotFound,
    /// <summary>The object to create exists already.</summary>
    AlreadyExists,
    /// <summary>The caller lacks CAP_NET_ADMIN or file permission.</summary>
    PermissionDenied,
    /// <summary>A kernel facility (the IPVS family, a scheduler module) is not available.</summary>
    NotInstalled,
    /// <summary>The kernel answered something that does not follow the protocol.</summary>
    ProtocolError,
    /// <summary>The kernel did not answer in time.</summary>
    Timeout,
    /// <summary>The object is in use, or the kernel is out of a resource.</summary>
    ResourceBusy,
    /// <summary>The running kernel does not support the requested option.</summary>
    NotSupported,
    /// <summary>Anything else the kernel refused.</summary>
    OperationFailed,
}

/// <summary>
/// The one exception type the core lets escape. <see cref="ErrorId"/> is stable and meant for scripts
/// (Pester's -ErrorId), <see cref="Target"/> names the offending value.
/// </summary>
public class LvsException : Exception
{
    public LvsException(LvsErrorKind kind, string errorId, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        ErrorId = errorId;
        Target = target;
    }

    /// <summary>The failure's kind.</summary>
    public LvsErrorKind Kind { get; }

    /// <summary>A stable identifier such as <c>InvalidIPAddress</c>; empty when the caller should pick one from context.</summary>
    public string ErrorId { get; }

    /// <summary>The value that caused the failure, if any.</summary>
    public object? Target { get; }

    public static LvsException Invalid(string errorId, string message, object? target) =>
        new(LvsErrorKind.InvalidArgument, errorId, message, target);
}
