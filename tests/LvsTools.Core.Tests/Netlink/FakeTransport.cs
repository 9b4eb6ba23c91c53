using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Netlink;

/// <summary>
/// A transport that answers each request with datagrams produced by a responder (nltest's idea): the
/// responder sees every message of a sent datagram and returns the replies as datagrams.
/// </summary>
public sealed class FakeTransport : INetlinkTransport
{
    private readonly Func<NetlinkMessageHeader, byte[], IEnumerable<byte[]>> _responder;
    private readonly Queue<byte[]> _pending = new();

    public FakeTransport(Func<NetlinkMessageHeader, byte[], IEnumerable<byte[]>> responder, uint portId = 4242)
    {
        _responder = responder;
        PortId = portId;
    }

    public uint PortId { get; }
    public List<byte[]> SentDatagrams { get; } = [];
    public List<(NetlinkMessageHeader Header, byte[] Payload)> SentMessages { get; } = [];
    public bool Disposed { get; private set; }

    /// <summary>Datagrams to deliver before any reply (stale answers, garbage).</summary>
    public void Preload(byte[] datagram) => _pending.Enqueue(datagram);

    public void Send(ReadOnlySpan<byte> datagram)
    {
        SentDatagrams.Add(datagram.ToArray());
        int off = 0;
        while (off < datagram.Length)
        {
            var h = NetlinkMessageHeader.Read(datagram[off..]);
            var payload = datagram.Slice(off + 16, (int)h.Length - 16).ToArray();
            SentMessages.Add((h, payload));
            foreach (var reply in _responder(h, payload))
                _pending.Enqueue(reply);
            off += NetlinkAlign.Align((int)h.Length);
        }
    }

    public int Receive(Span<byte> buffer, TimeSpan timeout)
    {
        if (_pending.Count == 0)
            throw new NetlinkTimeoutException("recvmsg", timeout);
        var d = _pending.Dequeue();
        d.CopyTo(buffer);
        return d.Length;
    }

    public void Dispose() => Disposed = true;

    // ---- builders for replies ----

    public static byte[] Message(ushort type, NetlinkFlags flags, uint seq, uint pid, ReadOnlySpan<byte> payload)
    {
        var b = new byte[NetlinkAlign.Align(16 + payload.Length)];
        new NetlinkMessageHeader((uint)(16 + payload.Length), type, flags, seq, pid).Write(b);
        payload.CopyTo(b.AsSpan(16));
        return b;
    }

    public static byte[] Ack(NetlinkMessageHeader request, uint pid) => Error(request, pid, 0);

    /// <summary>NLMSG_ERROR, capped (request header only), with optional ext-ack message and offset TLVs.</summary>
    public static byte[] Error(NetlinkMessageHeader request, uint pid, int errno, string? extAck = null, uint? offset = null)
    {
        var w = new NetlinkWriter();
        var p = new byte[20];
        NativeEndian.Put(p, -errno);
        request.Write(p.AsSpan(4));
        var flags = NetlinkFlags.Capped;
        w.BeginMessage(0, NetlinkFlags.None).WriteBytes(p);
        if (extAck is not null || offset is not null)
        {
            flags |= NetlinkFlags.AckTlvs;
            if (extAck is not null)
                w.String(1, extAck);
            if (offset is not null)
                w.U32(2, offset.Value);
        }
        w.EndMessage();
        var body = w.WrittenSpan[16..].ToArray();
        return Message(NetlinkMessageType.Error, flags, request.Sequence, pid, body);
    }

    public static byte[] Done(uint seq, uint pid, NetlinkFlags flags = NetlinkFlags.Multi) =>
        Message(NetlinkMessageType.Done, flags, seq, pid, new byte[4]);

    public static byte[] Concat(params byte[][] messages) => messages.SelectMany(m => m).ToArray();
}
