using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Netlink;

public class CodecTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 4)]
    [InlineData(4, 4)]
    [InlineData(5, 8)]
    [InlineData(17, 20)]
    public void Align_matches_the_kernels_NLMSG_ALIGN(int length, int aligned) =>
        Assert.Equal(aligned, NetlinkAlign.Align(length));

    [Fact]
    public void Header_round_trips_in_host_order()
    {
        var h = new NetlinkMessageHeader(36, 20, NetlinkFlags.Request | NetlinkFlags.Ack | NetlinkFlags.Create, 0x01020304, 99);
        var b = new byte[16];
        h.Write(b);
        Assert.Equal(new byte[] { 36, 0, 0, 0, 20, 0, 0x05, 0x04, 4, 3, 2, 1, 99, 0, 0, 0 }, b);
        Assert.Equal(h, NetlinkMessageHeader.Read(b));
    }

    [Fact]
    public void Writer_pads_attributes_and_fills_the_message_length()
    {
        var w = new NetlinkWriter();
        w.BeginMessage(0x20, NetlinkFlags.None).U8(1, 7).String(2, "ab").U16(3, 0x1234).EndMessage();
        var b = w.WrittenSpan.ToArray();
        Assert.Equal(16 + 8 + 8 + 8, b.Length);
        Assert.Equal((uint)b.Length, NativeEndian.U32(b));
        // U8: len 5, padded to 8
        Assert.Equal(new byte[] { 5, 0, 1, 0, 7, 0, 0, 0 }, b[16..24]);
        // string "ab\0": len 7, padded to 8
        Assert.Equal(new byte[] { 7, 0, 2, 0, (byte)'a', (byte)'b', 0, 0 }, b[24..32]);
        Assert.Equal(new byte[] { 6, 0, 3, 0, 0x34, 0x12, 0, 0 }, b[32..40]);
        Assert.Equal(1, w.MessageCount);
    }

    [Fact]
    public void Nested_attributes_get_the_nested_flag_and_their_total_length()
    {
        var w = new NetlinkWriter();
        w.BeginMessage(0x20, NetlinkFlags.None);
        int n = w.BeginNested(1);
        w.U32(2, 5).BigEndianU16(3, 80);
        w.EndNested(n).EndMessage();
        var b = w.WrittenSpan[16..].ToArray();
        Assert.Equal(4 + 8 + 8, NativeEndian.U16(b));
        Assert.Equal(0x8001, NativeEndian.U16(b.AsSpan(2)));
        // port 80 in network order
        Assert.Equal(new byte[] { 0, 80 }, b[16..18]);
        var reader = new NetlinkAttributeReader(b);
        Assert.True(reader.MoveNext());
        Assert.True(reader.Current.IsNested);
        Assert.Equal(1, reader.Current.Type);
        var inner = new List<(ushort, uint)>();
        foreach (var a in reader.Current.Nested())
            inner.Add((a.Type, a.Type == 2 ? a.U32() : a.BigEndianU16()));
        Assert.Equal([(2, 5u), (3, 80u)], inner);
    }

    [Fact]
    public void Reader_masks_flag_bits_and_yields_unknown_types()
    {
        byte[] b = [8, 0, 0x05, 0x40, 1, 2, 3, 4, 5, 0, 0x99, 0x00, 9, 0, 0, 0];
        var seen = new List<(ushort Type, int Len)>();
        foreach (var a in new NetlinkAttributeReader(b))
            seen.Add((a.Type, a.Value.Length));
        Assert.Equal([(5, 4), (0x99, 1)], seen);
    }

    [Theory]
    [InlineData(new byte[] { 8, 0, 1 })]            // header truncated
    [InlineData(new byte[] { 12, 0, 1, 0, 1, 2 })]  // claims more than there is
    [InlineData(new byte[] { 2, 0, 1, 0 })]         // shorter than a header
    public void Reader_rejects_malformed_attributes(byte[] raw)
    {
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            foreach (var _ in new NetlinkAttributeReader(raw)) { }
        });
    }

    [Fact]
    public void Addresses_are_written_in_natural_or_padded_width()
    {
        var w = new NetlinkWriter();
        w.BeginMessage(1, NetlinkFlags.None).Address(1, IPAddress.Parse("10.0.0.1")).Address(2, IPAddress.Parse("10.0.0.1"), 16)
            .Address(3, IPAddress.Parse("2001:db8::1")).EndMessage();
        var lens = new List<int>();
        foreach (var a in new NetlinkAttributeReader(w.WrittenSpan[16..]))
            lens.Add(a.Value.Length);
        Assert.Equal([4, 16, 16], lens);
    }

    [Fact]
    public void Attribute_accessors_reject_short_values()
    {
        byte[] b = [6, 0, 1, 0, 1, 2, 0, 0];
        var r = new NetlinkAttributeReader(b);
        r.MoveNext();
        var a = r.Current;
        Assert.Equal(0x0201, a.U16());
        bool threw = false;
        try { a.U32(); } catch (NetlinkProtocolException) { threw = true; }
        Assert.True(threw);
    }
}
