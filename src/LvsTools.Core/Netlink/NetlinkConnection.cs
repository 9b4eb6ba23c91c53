namespace LvsTools.Core.Netlink;

/// <summary>
/// The request engine: owns one transport, numbers requests, sends them and checks every reply against
/// the sequence number and port id it expects. All public methods are serialised by a lock, so one
/// connection may be shared by threads. After a timeout the transport is replaced by a fresh one (a late
/// reply on the old socket can never be taken for the answer to a new request). The kernel runs one dump
/// per socket at a time: to read several tables at once, open one connection each.
/// </summary>
public sealed partial class NetlinkConnection : IDisposable
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
    /// <param name="opened">A transport opened already, used until the first replacement (the connection owns it).</param>
    public NetlinkConnection(Func<INetlinkTransport> factory, INetlinkTransport? opened = null)
    {
        _factory = factory;
        _transport = opened;
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
            var reply = new OneRequest(onReply);
            ReceiveReplies(ref reply, seq, seq, operation);
        }
    }

    /// <summary>
    /// <see cref="Execute"/> for a "do" GET of one object that may not exist: false when the kernel answers one of the
    /// errnos that mean "no such object" for this request (<paramref name="absent"/>, <paramref name="alsoAbsent"/>).
    /// </summary>
    public bool TryExecute(NetlinkWriter request, string operation, MessageHandler onReply, int absent, int alsoAbsent)
    {
        try
        {
            Execute(request, operation, onReply);
            return true;
        }
        catch (NetlinkException e) when (e.Errno == absent || e.Errno == alsoAbsent)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a dump request (NLM_F_DUMP) and parses every reply until NLMSG_DONE. A dump the kernel marks
    /// NLM_F_DUMP_INTR, or one cut by ENOBUFS, is thrown away and read again, so the list returned is always
    /// one consistent snapshot, never a silently partial one.
    /// </summary>
    public List<T> Dump<T>(NetlinkWriter request, string operation, MessageParser<T> parse) where T : class
    {
        var items = new List<T>();
        Dump(request, operation, parse, items);
        return items;
    }

    /// <summary>
    /// <see cref="Dump{T}(NetlinkWriter, string, MessageParser{T})"/> into a list the caller owns: what the dump parsed is
    /// appended to <paramref name="into"/> (a dump read again after NLM_F_DUMP_INTR or ENOBUFS first takes back what its
    /// earlier attempt appended). Many dumps (one per service) then fill one list, with nothing allocated per dump.
    /// </summary>
    public void Dump<T>(NetlinkWriter request, string operation, MessageParser<T> parse, List<T> into) where T : class
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(into);
        if (request.MessageCount != 1)
            throw new ArgumentException("exactly one message expected", nameof(request));
        int start = into.Count;
        try
        {
            lock (_gate)
            {
                for (int attempt = 1; ; attempt++)
                {
                    into.RemoveRange(start, into.Count - start);
                    var reply = new Collect<T>(parse, into);
                    try
                    {
                        var tx = request.WritableWrittenSpan;
                        uint seq = Stamp(tx, NetlinkFlags.Request | NetlinkFlags.Dump);
                        Send(tx);
                        if (!ReceiveReplies(ref reply, seq, seq, operation))
                            return;
                    }
                    catch (NetlinkException e) when (e.Errno == Errno.ENOBUFS && attempt < MaxDumpAttempts)
                    {
                        ResetTransport();
                        continue;
                    }
                    if (attempt >= MaxDumpAttempts)
                        throw new NetlinkDumpInterruptedException(operation, attempt);
                }
            }
        }
        catch
        {
            into.RemoveRange(start, into.Count - start); // a failed dump adds nothing
            throw;
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
        int offset = 0;
        return Batch(requests.MessageCount, (first, count) =>
        {
            // The chunk's messages follow the previous chunk's in the one buffer.
            var all = requests.WritableWrittenSpan;
            int start = offset;
            for (int k = 0; k < count; k++)
                offset += NetlinkAlign.Align((int)NativeEndian.U32(all[offset..]));
            return all[start..offset];
        }, operation, perSend, ackEach, progress, cancellation);
    }

    /// <summary>
    /// As the other overload, for <paramref name="total"/> requests that <paramref name="encode"/> writes one chunk at a
    /// time (the messages of indexes first .. first + count - 1, into the writer it is given, which is emptied before each
    /// chunk): a batch of 50,000 requests then never exists as one buffer.
    /// </summary>
    public BatchResult Batch(int total, Action<NetlinkWriter, int, int> encode, string operation, int perSend = 256, bool ackEach = false,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(encode);
        var w = new NetlinkWriter(Math.Min(perSend, Math.Max(total, 1)) * 160);
        return Batch(total, (first, count) =>
        {
            w.Reset();
            encode(w, first, count);
            if (w.MessageCount != count)
                throw new InvalidOperationException($"the encoder wrote {w.MessageCount} messages for {count} requests");
            return w.WritableWrittenSpan;
        }, operation, perSend, ackEach, progress, cancellation);
    }

    /// <summary>The bytes of the messages first .. first + count - 1 of a batch.</summary>
    private delegate Span<byte> ChunkSource(int first, int count);

    private BatchResult Batch(int total, ChunkSource chunks, string operation, int perSend, bool ackEach, Action<int>? progress,
        CancellationToken cancellation)
    {
        if (perSend < 1)
            throw new ArgumentOutOfRangeException(nameof(perSend));
        lock (_gate)
        {
            var reply = new BatchReplies();
            int index = 0;
            while (index < total)
            {
                if (cancellation.IsCancellationRequested)
                    return new BatchResult(index, total, reply.Failures, cancelled: true);
                // Number the chunk's messages; only the last asks for an ACK.
                int firstIndex = index, count = Math.Min(perSend, total - index), offset = 0;
                var chunk = chunks(firstIndex, count);
                uint firstSeq = 0, lastSeq = 0;
                for (int k = 0; k < count; k++, index++)
                {
                    var msg = chunk[offset..];
                    uint len = NativeEndian.U32(msg);
                    var flags = NetlinkFlags.Request | (ackEach || k == count - 1 ? NetlinkFlags.Ack : NetlinkFlags.None);
                    uint seq = Stamp(msg[..(int)len], flags);
                    if (k == 0)
                        firstSeq = seq;
                    lastSeq = seq;
                    offset += NetlinkAlign.Align((int)len);
                }
                Send(chunk[..offset]);
                reply.LastSequence = lastSeq;
                ReceiveReplies(ref reply, firstSeq, lastSeq, operation, firstIndex);
                progress?.Invoke(index);
            }
            return new BatchResult(total, total, reply.Failures, cancelled: false);
        }
    }

    private uint Stamp(Span<byte> message, NetlinkFlags flags)
    {
        var h = NetlinkMessageHeader.Read(message);
        uint seq = ++_sequence;
        if (seq == 0)
            seq = ++_sequence;
        (h with { Flags = h.Flags | flags, Sequence = seq, PortId = Transport.PortId }).Write(message);
        return seq;
    }

    private void Send(ReadOnlySpan<byte> datagram)
    {
        Transport.Send(datagram);
        for (var messages = new NetlinkMessageEnumerator(datagram); messages.MoveNext();)
            RequestsSent++;
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

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            ResetTransport();
        }
    }
}
