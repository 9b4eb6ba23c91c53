namespace LvsTools.Core.Netlink;

/// <summary>The one receive loop of the engine and what each kind of request does with the replies it accepts.</summary>
public sealed partial class NetlinkConnection
{
    /// <summary>
    /// What a request does with the replies the loop accepted. Implemented by structs, so the loop is compiled once per
    /// kind of request and reads a dump without allocating per datagram or per message.
    /// </summary>
    private interface IReplyHandler
    {
        /// <summary>A message of the family (type ≥ NLMSG_MIN_TYPE).</summary>
        void OnMessage(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload);

        /// <summary>NLMSG_ERROR: <paramref name="error"/> is null for an ACK. Returns true when the request is complete.</summary>
        bool OnError(in NetlinkMessageHeader header, NetlinkException? error);
    }

    /// <summary>
    /// Receives datagrams until the request in [<paramref name="first"/>, <paramref name="last"/>] is complete: NLMSG_DONE,
    /// or an NLMSG_ERROR the handler calls final. Checks every message's port id and sequence, skips stale replies (to
    /// earlier requests), maps NLMSG_DONE with a negative errno to <see cref="NetlinkException"/>, and gives each error the
    /// index of its request when <paramref name="firstIndex"/> is set (a batch). Returns true when a reply carried
    /// NLM_F_DUMP_INTR.
    /// </summary>
    private bool ReceiveReplies<THandler>(ref THandler handler, uint first, uint last, string operation, int firstIndex = -1)
        where THandler : struct, IReplyHandler
    {
        bool interrupted = false;
        while (true)
        {
            int n = ReceiveDatagram(operation);
            uint port = Transport.PortId;
            for (var messages = new NetlinkMessageEnumerator(_rx.AsSpan(0, n)); messages.MoveNext();)
            {
                var h = messages.Header;
                var p = messages.Payload;
                if (!Accept(h, port, first, last))
                    continue;
                interrupted |= (h.Flags & NetlinkFlags.DumpInterrupted) != 0;
                switch (h.Type)
                {
                    case NetlinkMessageType.Done:
                        if (p.Length >= 4 && NativeEndian.I32(p) < 0)
                            throw new NetlinkException(operation, -NativeEndian.I32(p), sequence: h.Sequence);
                        return interrupted;
                    case NetlinkMessageType.Error:
                        int index = firstIndex < 0 ? -1 : firstIndex + (int)(h.Sequence - first);
                        if (handler.OnError(h, ParseError(h, p, operation, index)))
                            return interrupted;
                        break;
                    case >= NetlinkMessageType.MinType:
                        handler.OnMessage(h, p);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// One request, a "do" or a dump: its messages go to the callback, the ACK (or NLMSG_DONE) ends it, a refusal is thrown.
    /// </summary>
    private readonly struct OneRequest(MessageHandler? onMessage) : IReplyHandler
    {
        public void OnMessage(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload) => onMessage?.Invoke(header, payload);

        public bool OnError(in NetlinkMessageHeader header, NetlinkException? error) => error is null ? true : throw error;
    }

    /// <summary>A dump: each message the parser turns into an item is added to the list; NLMSG_DONE ends it.</summary>
    private readonly struct Collect<T>(MessageParser<T> parse, List<T> items) : IReplyHandler where T : class
    {
        public void OnMessage(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload)
        {
            if (parse(header, payload) is { } item)
                items.Add(item);
        }

        public bool OnError(in NetlinkMessageHeader header, NetlinkException? error) => error is null ? true : throw error;
    }

    /// <summary>A chunk of a batch: refusals are collected; the answer to the chunk's last request ends it.</summary>
    private struct BatchReplies() : IReplyHandler
    {
        public List<NetlinkException> Failures { get; } = [];

        public uint LastSequence { get; set; }

        public readonly void OnMessage(in NetlinkMessageHeader header, ReadOnlySpan<byte> payload) { }

        public readonly bool OnError(in NetlinkMessageHeader header, NetlinkException? error)
        {
            if (error is not null)
                Failures.Add(error);
            return header.Sequence == LastSequence;
        }
    }

    /// <summary>
    /// True when a reply belongs to the request in [first, last]. Replies to earlier requests (left over from
    /// an aborted call) are skipped; anything else is a protocol error.
    /// </summary>
    private static bool Accept(in NetlinkMessageHeader h, uint port, uint first, uint last)
    {
        if (h.PortId != port && h.PortId != 0)
            throw new NetlinkProtocolException($"reply for port id {h.PortId}, this socket is {port}");
        if (unchecked(h.Sequence - first) <= unchecked(last - first))
            return true;
        if (unchecked(first - h.Sequence) < 0x8000_0000u)
            return false; // stale: an answer to an earlier request
        throw new NetlinkProtocolException($"reply with sequence {h.Sequence}, expected {first}" + (first == last ? "" : $"..{last}"));
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
            foreach (var a in new NetlinkAttributeReader(p[(4 + (int)echoed)..]))
            {
                if (a.Type == 1) // NLMSGERR_ATTR_MSG
                    message = a.String();
                else if (a.Type == 2 && a.Value.Length >= 4) // NLMSGERR_ATTR_OFFS
                    offset = a.U32();
            }
        }
        return new NetlinkException(operation, -error, message, offset, h.Sequence, requestIndex);
    }
}

/// <summary>
/// The messages of one datagram, checked as NLMSG_OK checks them: a header that does not fit, or a length shorter than
/// a header or longer than what is left, is a protocol error.
/// </summary>
internal ref struct NetlinkMessageEnumerator(ReadOnlySpan<byte> datagram)
{
    private readonly ReadOnlySpan<byte> _datagram = datagram;
    private int _next;

    public NetlinkMessageHeader Header { get; private set; }

    public ReadOnlySpan<byte> Payload { get; private set; }

    public bool MoveNext()
    {
        int off = _next;
        if (off >= _datagram.Length)
            return false;
        if (_datagram.Length - off < NetlinkMessageHeader.Size)
            throw new NetlinkProtocolException($"{_datagram.Length - off} stray bytes after the last message");
        var h = NetlinkMessageHeader.Read(_datagram[off..]);
        if (h.Length < NetlinkMessageHeader.Size || h.Length > _datagram.Length - off)
            throw new NetlinkProtocolException($"message length {h.Length} at offset {off} of a {_datagram.Length}-byte datagram");
        Header = h;
        Payload = _datagram.Slice(off + NetlinkMessageHeader.Size, (int)h.Length - NetlinkMessageHeader.Size);
        _next = off + NetlinkAlign.Align((int)h.Length);
        return true;
    }
}
