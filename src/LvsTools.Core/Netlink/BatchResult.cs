namespace LvsTools.Core.Netlink;

/// <summary>Parses one reply message; return null to skip it.</summary>
public delegate T? MessageParser<T>(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload);

/// <summary>Receives one reply message of a request.</summary>
public delegate void MessageHandler(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload);

/// <summary>The outcome of a batch: how many requests the kernel accepted and which ones it refused.</summary>
public sealed class BatchResult
{
    internal BatchResult(int sent, int total, IReadOnlyList<NetlinkException> failures, bool cancelled)
    {
        Sent = sent;
        Total = total;
        Failures = failures;
        Cancelled = cancelled;
    }

    /// <summary>Requests that reached the kernel (all of them unless cancelled).</summary>
    public int Sent { get; }

    /// <summary>Requests in the batch.</summary>
    public int Total { get; }

    /// <summary>The refused requests, each with <see cref="NetlinkException.RequestIndex"/> set.</summary>
    public IReadOnlyList<NetlinkException> Failures { get; }

    /// <summary>True when cancellation stopped the batch before every request was sent.</summary>
    public bool Cancelled { get; }

    public int Succeeded => Sent - Failures.Count;
}
