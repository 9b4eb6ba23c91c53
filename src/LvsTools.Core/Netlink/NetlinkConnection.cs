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

/// <summary>
/// The request engine: owns one transport, numbers requests, sends them and checks every reply against
/// the sequence number and port id it expects. All public methods are serialised by a lock, so one
/// connection may be shared by threads. After a timeout the transport is replaced by a fresh one (a late
/// reply on the old socket can never be taken for the answer to a new request).
/// </summary>
public sealed class NetlinkConnection : IDisposable
{
    private const int ReceiveBufferSize = 256 * 1024;
    private const int MaxDumpAttempts = 8;

    private readonly Func<INetlinkTransport> _factory;
    private readonly object _gate = new();
    private readonly byte[] _rx = new byte[ReceiveBufferSize];
    private INetlinkTransport? _transport;
    private uint _sequence;
    private bool _disposed;

    /// <param name="factory">Opens a transport; called again after a timeout or ENOBUFS.</param>
    public NetlinkConnection(Func<INetlinkTransport> factory)
    {
        _factory = factory;
        _sequence = (uint)Environment.TickCount & 0x00ffffff;
    }

    /// <summary>How long to wait for each datagram of a reply.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The number of requests sent (for tests and dry-run accounting).</summary>
    public long RequestsSent { get; private set; }

    private INetlinkTransport Transport
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _transport ??= _factory();
        }
    }

    /// <summary>
    /// Sends one request with NLM_F_ACK and waits for its acknowledgement. Messages the kernel sends before
    /// the ACK (the answer to a "do" GET request) go to <paramref name="onReply"/>.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused the request.</exception>
    public void Execute(NetlinkWriter request, string operation, MessageHandler? onReply = null)
    {
        if (request.MessageCount != 1)
            throw new ArgumentException("exactly one message expected", nameof(request));
        lock (_gate)
        {
            var tx = request.WritableWrittenSpan;
            uint seq = Stamp(tx, NetlinkFlags.Request | NetlinkFlags.Ack);
            Send(tx);
            bool done = false;
            while (!done)
            {
                int n = ReceiveDatagram(operation);
                ForEachMessage(_rx.AsSpan(0, n), (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
                {
                    if (done || !Accept(h, seq, seq))
                        return;
                    if (h.Type == NetlinkMessageType.Error)
                    {
                        var err = ParseError(h, p, operation);
                        done = true;
                        if (err is not null)
                            throw err;
                    }
                    else if (h.Type == NetlinkMessageType.Done)
                    {
                        done = true;
                    }
                    else if (h.Type >= NetlinkMessageType.MinType)
                    {
                        onReply?.Invoke(h, p);
                    }
                });
            }
        }
    }

    /// <summary>
    /// Sends a dump request (NLM_F_DUMP) and parses every reply until NLMSG_DONE. A dump the kernel marks
    /// NLM_F_DUMP_INTR, or one cut by ENOBUFS, is thrown away and read again, so the list returned is always
    /// one consistent snapshot, never a silently partial one.
    /// </summary>
    public List<T> Dump<T>(NetlinkWriter request, string operation, MessageParser<T> parse) where T : class
    {
        if (request.MessageCount != 1)
            throw new ArgumentException("exactly one message expected", nameof(request));
        lock (_gate)
        {
            for (int attempt = 1; ; attempt++)
            {
                var results = new List<T>();
                bool interrupted = false;
                try
                {
                    var tx = request.WritableWrittenSpan;
                    uint seq = Stamp(tx, NetlinkFlags.Request | NetlinkFlags.Dump);
                    Send(tx);
                    bool done = false;
                    while (!done)
                    {
                        int n = ReceiveDatagram(operation);
                        ForEachMessage(_rx.AsSpan(0, n), (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
                        {
                            if (done || !Accept(h, seq, seq))
                                return;
                            if ((h.Flags & NetlinkFlags.DumpInterrupted) != 0)
                                interrupted = true;
                            switch (h.Type)
                            {
                                case NetlinkMessageType.Done:
                                    done = true;
                                    if (p.Length >= 4 && NativeEndian.I32(p) < 0)
                                        throw new NetlinkException(operation, -NativeEndian.I32(p), sequence: seq);
                                    break;
                                case NetlinkMessageType.Error:
                                    done = true;
                                    var err = ParseError(h, p, operation);
                                    if (err is not null)
                                        throw err;
                                    break;
                                default:
                                    if (h.Type >= NetlinkMessageType.MinType && parse(h, p) is { } item)
                                        results.Add(item);
                                    break;
                            }
                        });
                    }
                }
                catch (NetlinkException e) when (e.Errno == Errno.ENOBUFS && attempt < MaxDumpAttempts)
                {
                    ResetTransport();
                    continue;
                }
                if (!interrupted)
                    return results;
                if (attempt >= MaxDumpAttempts)
                    throw new NetlinkDumpInterruptedException(operation, attempt);
            }
        }
    }

    /// <summary>
    /// Sends every message of <paramref name="requests"/>, <paramref name="perSend"/> of them per sendmsg.
    /// Only the last message of each sendmsg asks for an ACK (unless <paramref name="ackEach"/>): the kernel
    /// still answers every refused request with NLMSG_ERROR carrying its sequence number, so each failure is
    /// reported against the exact request that caused it, while accepted requests cost no reply at all.
    /// </summary>
    public BatchResult Batch(NetlinkWriter requests, string operation, int perSend = 256, bool ackEach = false,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        if (perSend < 1)
            throw new ArgumentOutOfRangeException(nameof(perSend));
        lock (_gate)
        {
            var failures = new List<NetlinkException>();
            var buffer = requests.WritableWrittenSpan;
            int total = requests.MessageCount, index = 0, offset = 0;
            while (index < total)
            {
                if (cancellation.IsCancellationRequested)
                    return new BatchResult(index, total, failures, cancelled: true);
                // Number the chunk's messages and find where it ends.
                int chunkStart = offset, firstIndex = index;
                uint firstSeq = 0, lastSeq = 0;
                for (int k = 0; k < perSend && index < total; k++, index++)
                {
                    var msg = buffer[offset..];
                    uint len = NativeEndian.U32(msg);
                    bool last = k == perSend - 1 || index == total - 1;
                    var flags = NetlinkFlags.Request | (ackEach || last ? NetlinkFlags.Ack : NetlinkFlags.None);
                    uint seq = Stamp(msg[..(int)len], flags);
                    if (k == 0)
                        firstSeq = seq;
                    lastSeq = seq;
                    offset += NetlinkAlign.Align((int)len);
                }
                Send(buffer[chunkStart..offset]);
                bool done = false;
                while (!done)
                {
                    int n = ReceiveDatagram(operation);
                    ForEachMessage(_rx.AsSpan(0, n), (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
                    {
                        if (!Accept(h, firstSeq, lastSeq) || h.Type != NetlinkMessageType.Error)
                            return;
                        int requestIndex = firstIndex + (int)(h.Sequence - firstSeq);
                        var err = ParseError(h, p, operation, requestIndex);
                        if (err is not null)
                            failures.Add(err);
                        if (h.Sequence == lastSeq)
                            done = true;
                    });
                }
                progress?.Invoke(index);
            }
            return new BatchResult(total, total, failures, cancelled: false);
        }
    }

    private uint Stamp(Span<byte> message, NetlinkFlags flags)
    {
        var h = NetlinkMessageHeader.Read(message);
        uint seq = ++_sequence;
        if (seq == 0)
            seq = ++_sequence;
        new NetlinkMessageHeader(h.Length, h.Type, h.Flags | flags, seq, Transport.PortId).Write(message);
        return seq;
    }

    private void Send(ReadOnlySpan<byte> datagram)
    {
        Transport.Send(datagram);
        RequestsSent += CountMessages(datagram);
    }

    private static int CountMessages(ReadOnlySpan<byte> datagram)
    {
        int count = 0;
        for (int off = 0; off + NetlinkMessageHeader.Size <= datagram.Length; count++)
            off += NetlinkAlign.Align((int)NativeEndian.U32(datagram[off..]));
        return count;
    }

    private int ReceiveDatagram(string operation)
    {
        try
        {
            return Transport.Receive(_rx, Timeout);
        }
        catch (NetlinkTimeoutException)
        {
            ResetTransport();
            throw new NetlinkTimeoutException(operation, Timeout);
        }
    }

    private void ResetTransport()
    {
        _transport?.Dispose();
        _transport = null;
    }

    /// <summary>
    /// True when a reply belongs to the request in [first, last]. Replies to earlier requests (left over from
    /// an aborted call) are skipped; anything else is a protocol error.
    /// </summary>
    private bool Accept(in NetlinkMessageHeader h, uint first, uint last)
    {
        if (h.PortId != Transport.PortId && h.PortId != 0)
            throw new NetlinkProtocolException($"reply for port id {h.PortId}, this socket is {Transport.PortId}");
        if (unchecked(h.Sequence - first) <= unchecked(last - first))
            return true;
        if (unchecked(first - h.Sequence) < 0x8000_0000u)
            return false; // stale: an answer to an earlier request
        throw new NetlinkProtocolException($"reply with sequence {h.Sequence}, expected {first}" + (first == last ? "" : $"..{last}"));
    }

    private delegate void RawHandler(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload);

    private static void ForEachMessage(ReadOnlySpan<byte> datagram, RawHandler handler)
    {
        int off = 0;
        while (off < datagram.Length)
        {
            if (datagram.Length - off < NetlinkMessageHeader.Size)
                throw new NetlinkProtocolException($"{datagram.Length - off} stray bytes after the last message");
            var h = NetlinkMessageHeader.Read(datagram[off..]);
            if (h.Length < NetlinkMessageHeader.Size || h.Length > datagram.Length - off)
                throw new NetlinkProtocolException($"message length {h.Length} at offset {off} of a {datagram.Length}-byte datagram");
            handler(h, datagram.Slice(off + NetlinkMessageHeader.Size, (int)h.Length - NetlinkMessageHeader.Size));
            off += NetlinkAlign.Align((int)h.Length);
        }
    }

    /// <summary>Parses NLMSG_ERROR: null for an ACK (error 0), else the exception with the ext-ack text.</summary>
    internal static NetlinkException? ParseError(in NetlinkMessageHeader h, ReadOnlySpan<byte> p, string operation, int requestIndex = -1)
    {
        if (p.Length < 4 + NetlinkMessageHeader.Size)
            throw new NetlinkProtocolException($"NLMSG_ERROR of {p.Length} bytes");
        int error = NativeEndian.I32(p);
        if (error == 0)
            return null;
        if (error > 0 || error == int.MinValue)
            throw new NetlinkProtocolException($"NLMSG_ERROR with error {error}; the kernel sends 0 or a negative errno");
        string? message = null;
        uint? offset = null;
        if ((h.Flags & NetlinkFlags.AckTlvs) != 0)
        {
            var orig = NetlinkMessageHeader.Read(p[4..]);
            // Capped: only the request's header was echoed. Otherwise the whole request was, and its length (read from the
            // reply, so untrusted) must fit in what arrived before the TLVs can be found after it.
            long echoed = (h.Flags & NetlinkFlags.Capped) != 0 ? NetlinkMessageHeader.Size : ((long)orig.Length + NetlinkAlign.To - 1) & ~(NetlinkAlign.To - 1);
            if (echoed < NetlinkMessageHeader.Size || 4 + echoed > p.Length)
                throw new NetlinkProtocolException($"NLMSG_ERROR (errno {-(long)error}) echoes a request of {orig.Length} bytes in {p.Length - 4}");
            int tlvStart = 4 + (int)echoed;
            if (tlvStart <= p.Length)
            {
                foreach (var a in new NetlinkAttributeReader(p[tlvStart..]))
                {
                    if (a.Type == 1) // NLMSGERR_ATTR_MSG
                        message = a.String();
                    else if (a.Type == 2 && a.Value.Length >= 4) // NLMSGERR_ATTR_OFFS
                        offset = a.U32();
                }
            }
        }
        return new NetlinkException(operation, -error, message, offset, h.Sequence, requestIndex);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            ResetTransport();
        }
    }
}
