using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace LvsTools.Core.Netlink;

/// <summary>
/// Builds one or more netlink messages in a growable buffer. Lengths and padding are filled in here,
/// sequence numbers and port ids by <see cref="NetlinkConnection"/>. Nested attributes get NLA_F_NESTED
/// automatically. The same writer may hold many messages: that is how a batch goes out in one sendmsg.
/// </summary>
public sealed class NetlinkWriter
{
    private byte[] _buffer;
    private int _length;
    private int _messageStart = -1;
    private int _messages;

    public NetlinkWriter(int capacity = 512) => _buffer = new byte[Math.Max(capacity, 64)];

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>The bytes written so far, writable: only for the connection, which stamps sequence numbers and port ids.</summary>
    internal Span<byte> WritableWrittenSpan => _buffer.AsSpan(0, _length);

    public int Length => _length;

    /// <summary>How many complete messages the writer holds.</summary>
    public int MessageCount => _messages;

    public void Reset()
    {
        _length = 0;
        _messageStart = -1;
        _messages = 0;
    }

    /// <summary>Starts a message; <see cref="EndMessage"/> closes it.</summary>
    public NetlinkWriter BeginMessage(ushort type, NetlinkFlags flags)
    {
        if (_messageStart >= 0)
            throw new InvalidOperationException("previous message not ended");
        _messageStart = _length;
        var span = Grow(NetlinkMessageHeader.Size);
        new NetlinkMessageHeader(0, type, flags, 0, 0).Write(span);
        return this;
    }

    public NetlinkWriter EndMessage()
    {
        if (_messageStart < 0)
            throw new InvalidOperationException("no message begun");
        NativeEndian.Put(_buffer.AsSpan(_messageStart), (uint)(_length - _messageStart));
        _messageStart = -1;
        _messages++;
        return this;
    }

    /// <summary>Raw bytes (a fixed family header such as ifaddrmsg), padded to 4.</summary>
    public NetlinkWriter WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Grow(NetlinkAlign.Align(bytes.Length)));
        return this;
    }

    public NetlinkWriter Attribute(ushort type, ReadOnlySpan<byte> value) => Attribute(type, value, nested: false);

    /// <summary>
    /// An attribute whose value is already encoded; <paramref name="nested"/> sets NLA_F_NESTED on its header (how an
    /// unknown nested attribute that was read is written back as it came).
    /// </summary>
    public NetlinkWriter Attribute(ushort type, ReadOnlySpan<byte> value, bool nested)
    {
        if (nested)
            type |= NetlinkAttribute.NestedFlag;
        int total = NetlinkAttribute.HeaderSize + value.Length;
        var span = Grow(NetlinkAlign.Align(total));
        NativeEndian.Put(span, (ushort)total);
        NativeEndian.Put(span[2..], type);
        value.CopyTo(span[NetlinkAttribute.HeaderSize..]);
        return this;
    }

    public NetlinkWriter U8(ushort type, byte v) => Attribute(type, [v]);

    public NetlinkWriter U16(ushort type, ushort v) => Value(type, v);

    public NetlinkWriter U32(ushort type, uint v) => Value(type, v);

    public NetlinkWriter U64(ushort type, ulong v) => Value(type, v);

    /// <summary>A 16-bit value in network byte order (IPVS ports).</summary>
    public NetlinkWriter BigEndianU16(ushort type, ushort v) =>
        Value(type, BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v);

    /// <summary>A fixed-size value in host byte order, written straight into the buffer.</summary>
    private NetlinkWriter Value<T>(ushort type, T v) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        var span = Grow(NetlinkAlign.Align(NetlinkAttribute.HeaderSize + size));
        NativeEndian.Put(span, (ushort)(NetlinkAttribute.HeaderSize + size));
        NativeEndian.Put(span[2..], type);
        MemoryMarshal.Write(span[NetlinkAttribute.HeaderSize..], in v);
        return this;
    }

    /// <summary>A NUL-terminated string.</summary>
    public NetlinkWriter String(ushort type, string v)
    {
        int n = Encoding.UTF8.GetByteCount(v);
        Span<byte> b = n < 256 ? stackalloc byte[n + 1] : new byte[n + 1];
        Encoding.UTF8.GetBytes(v, b);
        b[n] = 0;
        return Attribute(type, b);
    }

    /// <summary>An address in its natural width (4 or 16 bytes), or padded to <paramref name="width"/> bytes.</summary>
    public NetlinkWriter Address(ushort type, IPAddress address, int width = 0)
    {
        Span<byte> b = stackalloc byte[16];
        b.Clear();
        address.TryWriteBytes(b, out int written);
        return Attribute(type, b[..Math.Max(written, width)]);
    }

    /// <summary>
    /// Opens a nested attribute that <c>using</c> closes: <c>using (w.Nested(type)) { ... }</c> fills in its length when
    /// the scope ends, so no caller touches header bytes. Requests carry NLA_F_NESTED (libnl, and so ipvsadm, sets it);
    /// the kernel's own replies do not (nla_nest_start_noflag): a writer that reproduces a reply passes
    /// <paramref name="flagged"/> false.
    /// </summary>
    public NestedScope Nested(ushort type, bool flagged = true) => new(this, BeginNested(type, flagged));

    /// <summary>Opens a nested attribute; pass the result to <see cref="EndNested"/> (or use <see cref="Nested"/>).</summary>
    public int BeginNested(ushort type, bool flagged = true)
    {
        int start = _length;
        var span = Grow(NetlinkAttribute.HeaderSize);
        NativeEndian.Put(span, (ushort)0);
        NativeEndian.Put(span[2..], flagged ? (ushort)(type | NetlinkAttribute.NestedFlag) : type);
        return start;
    }

    public NetlinkWriter EndNested(int start)
    {
        NativeEndian.Put(_buffer.AsSpan(start), (ushort)(_length - start));
        return this;
    }

    private Span<byte> Grow(int n)
    {
        if (_length + n > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        var span = _buffer.AsSpan(_length, n);
        span.Clear();
        _length += n;
        return span;
    }

    /// <summary>Family helpers: the address family number the kernel expects.</summary>
    public static ushort Family(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => 2,
        AddressFamily.InterNetworkV6 => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "only IPv4 and IPv6"),
    };
}

/// <summary>An open nested attribute; disposing it closes the nest (see <see cref="NetlinkWriter.Nested"/>).</summary>
public readonly ref struct NestedScope
{
    private readonly NetlinkWriter _writer;
    private readonly int _start;

    internal NestedScope(NetlinkWriter writer, int start)
    {
        _writer = writer;
        _start = start;
    }

    /// <summary>Fills in the nest's length.</summary>
    public void Dispose() => _writer.EndNested(_start);
}
