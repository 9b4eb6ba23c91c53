using System.Net;
using System.Text;

namespace LvsTools.Core.Netlink;

/// <summary>
/// One attribute (struct nlattr + value) as read. <see cref="Type"/> has the NLA_F_NESTED and
/// NLA_F_NET_BYTEORDER bits masked off; <see cref="IsNested"/> tells whether the first was set.
/// </summary>
public readonly ref struct NetlinkAttribute
{
    public const ushort NestedFlag = 0x8000;
    public const ushort NetByteOrderFlag = 0x4000;
    public const ushort TypeMask = 0x3fff;
    public const int HeaderSize = 4;

    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> value)
    {
        RawType = rawType;
        Value = value;
    }

    public ushort RawType { get; }
    public ushort Type => (ushort)(RawType & TypeMask);
    public bool IsNested => (RawType & NestedFlag) != 0;
    public ReadOnlySpan<byte> Value { get; }

    public byte U8() => Need(1)[0];
    public ushort U16() => NativeEndian.U16(Need(2));
    public uint U32() => NativeEndian.U32(Need(4));
    public ulong U64() => NativeEndian.U64(Need(8));
    public ushort BigEndianU16() => NativeEndian.BigEndian16(Need(2));

    /// <summary>A NUL-terminated (or unterminated) string.</summary>
    public string String()
    {
        var v = Value;
        int nul = v.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? v[..nul] : v);
    }

    /// <summary>An address of <paramref name="family"/> at the start of the value (IPVS pads IPv4 to 16 bytes).</summary>
    public IPAddress Address(System.Net.Sockets.AddressFamily family) =>
        family == System.Net.Sockets.AddressFamily.InterNetworkV6 ? new IPAddress(Need(16)[..16]) : new IPAddress(Need(4)[..4]);

    /// <summary>An address whose family follows from the value's length (rtnetlink: 4 or 16 bytes).</summary>
    public IPAddress Address() => Value.Length switch
    {
        4 => new IPAddress(Value),
        16 => new IPAddress(Value),
        _ => throw new NetlinkProtocolException($"attribute {Type}: an address of {Value.Length} bytes"),
    };

    /// <summary>The attributes nested in this one.</summary>
    public NetlinkAttributeReader Nested() => new(Value);

    public byte[] ToArray() => Value.ToArray();

    private ReadOnlySpan<byte> Need(int n) =>
        Value.Length >= n ? Value : throw new NetlinkProtocolException($"attribute {Type}: {Value.Length} bytes, expected at least {n}");
}

/// <summary>
/// Walks the attributes of a buffer (foreach-able, allocation-free). A truncated or overlong attribute is a
/// protocol error; unknown types are simply yielded, so callers can keep them.
/// </summary>
public ref struct NetlinkAttributeReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _offset;
    private NetlinkAttribute _current;

    public NetlinkAttributeReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _offset = 0;
        _current = default;
    }

    public readonly NetlinkAttributeReader GetEnumerator() => this;

    public readonly NetlinkAttribute Current => _current;

    public bool MoveNext()
    {
        if (_offset >= _buffer.Length)
            return false;
        if (_buffer.Length - _offset < NetlinkAttribute.HeaderSize)
            throw new NetlinkProtocolException($"attribute header truncated at offset {_offset}");
        ushort len = NativeEndian.U16(_buffer[_offset..]);
        ushort type = NativeEndian.U16(_buffer[(_offset + 2)..]);
        if (len < NetlinkAttribute.HeaderSize || _offset + len > _buffer.Length)
            throw new NetlinkProtocolException($"attribute {type & NetlinkAttribute.TypeMask} at offset {_offset} claims {len} bytes, {_buffer.Length - _offset} remain");
        _current = new NetlinkAttribute(type, _buffer.Slice(_offset + NetlinkAttribute.HeaderSize, len - NetlinkAttribute.HeaderSize));
        _offset += NetlinkAlign.Align(len);
        return true;
    }
}

/// <summary>An attribute a parser did not recognise, kept so that it can be inspected or re-emitted.</summary>
public sealed record UnknownAttribute(ushort Type, bool IsNested, byte[] Value)
{
    public static UnknownAttribute From(in NetlinkAttribute a) => new(a.Type, a.IsNested, a.ToArray());

    /// <summary>Keeps an attribute a parser does not know (the list is made on the first one).</summary>
    internal static void Keep(ref List<UnknownAttribute>? unknown, in NetlinkAttribute a) => (unknown ??= []).Add(From(a));

    /// <summary>The kept attributes, or the one shared empty array: an object read without any gets no list of its own.</summary>
    internal static IReadOnlyList<UnknownAttribute> Kept(List<UnknownAttribute>? unknown) =>
        unknown is null ? Array.Empty<UnknownAttribute>() : unknown;
}
