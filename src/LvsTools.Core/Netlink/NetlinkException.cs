namespace LvsTools.Core.Netlink;

/// <summary>
/// The kernel refused a netlink request. Carries what mdlayher/netlink's OpError carries: the operation,
/// the errno, the extended-ack text and offset when the kernel sent them, and the request's sequence number.
/// </summary>
public class NetlinkException : LvsException
{
    public NetlinkException(string operation, int errno, string? extAckMessage = null, uint? extAckOffset = null,
        uint sequence = 0, int requestIndex = -1)
        : base(Netlink.Errno.Kind(errno), string.Empty, Format(operation, errno, extAckMessage), null)
    {
        Operation = operation;
        Errno = errno;
        ExtAckMessage = extAckMessage;
        ExtAckOffset = extAckOffset;
        Sequence = sequence;
        RequestIndex = requestIndex;
    }

    /// <summary>What was being done, e.g. "RTM_NEWADDR" or "IPVS_CMD_NEW_SERVICE".</summary>
    public string Operation { get; }

    /// <summary>The positive errno the kernel answered with.</summary>
    public int Errno { get; }

    /// <summary>The kernel's extended-ack message (NLMSGERR_ATTR_MSG), if any.</summary>
    public string? ExtAckMessage { get; }

    /// <summary>The byte offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS), if any.</summary>
    public uint? ExtAckOffset { get; }

    /// <summary>The sequence number of the failed request.</summary>
    public uint Sequence { get; }

    /// <summary>In a batch, the index of the failed request; otherwise -1.</summary>
    public int RequestIndex { get; }

    private static string Format(string operation, int errno, string? ext) =>
        $"{operation} failed: {Netlink.Errno.Describe(errno)} ({Netlink.Errno.Name(errno)})" +
        (string.IsNullOrEmpty(ext) ? "." : $": {ext}.");
}

/// <summary>The kernel's reply broke the protocol (bad length, foreign sequence or port id, truncated datagram).</summary>
public sealed class NetlinkProtocolException : LvsException
{
    public NetlinkProtocolException(string message)
        : base(LvsErrorKind.ProtocolError, "NetlinkProtocolError", message) { }
}

/// <summary>No reply arrived within the connection's timeout.</summary>
public sealed class NetlinkTimeoutException : LvsException
{
    public NetlinkTimeoutException(string operation, TimeSpan timeout)
        : base(LvsErrorKind.Timeout, "NetlinkTimeout", $"{operation}: the kernel did not answer within {timeout.TotalSeconds:0.#} s.") { }
}

/// <summary>A dump stayed inconsistent (NLM_F_DUMP_INTR) after every retry.</summary>
public sealed class NetlinkDumpInterruptedException : LvsException
{
    public NetlinkDumpInterruptedException(string operation, int attempts)
        : base(LvsErrorKind.ResourceBusy, "NetlinkDumpInterrupted",
            $"{operation}: the table changed during each of {attempts} dumps (NLM_F_DUMP_INTR); no consistent list could be read.") { }
}
