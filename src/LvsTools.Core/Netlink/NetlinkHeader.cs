using System.Runtime.InteropServices;

namespace LvsTools.Core.Netlink;

/// <summary>Flag bits of nlmsghdr.nlmsg_flags (include/uapi/linux/netlink.h).</summary>
[Flags]
public enum NetlinkFlags : ushort
{
    None = 0,
    Request = 0x1, Multi = 0x2, Ack = 0x4, Echo = 0x8, DumpInterrupted = 0x10, DumpFiltered = 0x20,
    /// <summary>Modifiers of GET requests.</summary>
    Root = 0x100, Match = 0x200, Atomic = 0x400, Dump = Root | Match,
    /// <summary>Modifiers of NEW requests (the same bits as the GET modifiers).</summary>
    Replace = 0x100, Excl = 0x200, Create = 0x400, Append = 0x800,
    /// <summary>Flags of ACK messages (the same bits again).</summary>
    Capped = 0x100, AckTlvs = 0x200,
}

/// <summary>Control message types shared by every netlink family.</summary>
public static class NetlinkMessageType
{
    public const ushort Noop = 1, Error = 2, Done = 3, Overrun = 4;
    /// <summary>Types below this are control messages.</summary>
    public const ushort MinType = 0x10;
}

/// <summary>
/// struct nlmsghdr: 16 bytes, all fields in host byte order. The engine fills <see cref="Length"/>,
/// <see cref="Sequence"/> and <see cref="PortId"/>; callers never do.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct NetlinkMessageHeader(uint Length, ushort Type, NetlinkFlags Flags, uint Sequence, uint PortId)
{
    public const int Size = 16;

    // The struct is laid out as the kernel's, 16 bytes without padding, so it is read and written whole.
    public static NetlinkMessageHeader Read(ReadOnlySpan<byte> b) => MemoryMarshal.Read<NetlinkMessageHeader>(b);

    public void Write(Span<byte> b) => MemoryMarshal.Write(b, in this);
}

/// <summary>
/// Byte order. Netlink is host order throughout, except where a field is marked "network order"
/// (IPVS ports, addresses): those use <see cref="BigEndian16"/>. This is the only place byte order is decided.
/// </summary>
public static class NativeEndian
{
    public static ushort U16(ReadOnlySpan<byte> b) => MemoryMarshal.Read<ushort>(b);
    public static uint U32(ReadOnlySpan<byte> b) => MemoryMarshal.Read<uint>(b);
    public static ulong U64(ReadOnlySpan<byte> b) => MemoryMarshal.Read<ulong>(b);
    public static int I32(ReadOnlySpan<byte> b) => MemoryMarshal.Read<int>(b);
    public static void Put(Span<byte> b, ushort v) => MemoryMarshal.Write(b, in v);
    public static void Put(Span<byte> b, uint v) => MemoryMarshal.Write(b, in v);
    public static void Put(Span<byte> b, ulong v) => MemoryMarshal.Write(b, in v);
    public static void Put(Span<byte> b, int v) => MemoryMarshal.Write(b, in v);

    /// <summary>A 16-bit field in network order (ports).</summary>
    public static ushort BigEndian16(ReadOnlySpan<byte> b) => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b);
    public static void PutBigEndian16(Span<byte> b, ushort v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b, v);
}

/// <summary>Alignment as the kernel's NLMSG_ALIGN and NLA_ALIGN define it (both 4).</summary>
public static class NetlinkAlign
{
    public const int To = 4;
    public static int Align(int length) => (length + To - 1) & ~(To - 1);
}
