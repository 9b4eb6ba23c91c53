using LvsTools.Core.Health;

namespace LvsTools.Core.Tests.Health;

/// <summary>The probe's DNS codec against RFC 1035's layout, byte by byte.</summary>
public class DnsMessageTests
{
    // `dig @10.0.1.11 www.example.com A +noedns` sends this question (the id is random; 0x1234 here):
    private static readonly byte[] WwwExampleComA =
    [
        0x12, 0x34,             // ID
        0x01, 0x00,             // flags: QR=0 opcode=QUERY, RD=1
        0x00, 0x01,             // QDCOUNT 1
        0x00, 0x00,             // ANCOUNT 0
        0x00, 0x00,             // NSCOUNT 0
        0x00, 0x00,             // ARCOUNT 0
        3, (byte)'w', (byte)'w', (byte)'w',
        7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e',
        3, (byte)'c', (byte)'o', (byte)'m',
        0,                      // the root label ends the name
        0x00, 0x01,             // QTYPE A
        0x00, 0x01,             // QCLASS IN
    ];

    [Fact]
    public void A_query_is_laid_out_as_RFC_1035_says()
    {
        Assert.Equal(WwwExampleComA, DnsMessage.EncodeQuery(0x1234, "www.example.com", DnsMessage.TypeCode("A")));
        Assert.Equal(WwwExampleComA, DnsMessage.EncodeQuery(0x1234, "www.example.com.", DnsMessage.TypeCode("a")));
    }

    [Fact]
    public void The_root_is_one_zero_byte_and_the_type_is_big_endian()
    {
        var q = DnsMessage.EncodeQuery(0xBEEF, ".", DnsMessage.TypeCode("AAAA"));
        Assert.Equal(new byte[] { 0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 28, 0x00, 0x01 }, q);
    }

    [Theory]
    [InlineData("NS", 2)]
    [InlineData("CNAME", 5)]
    [InlineData("SOA", 6)]
    [InlineData("PTR", 12)]
    [InlineData("MX", 15)]
    [InlineData("TXT", 16)]
    [InlineData("srv", 33)]
    public void Record_types_have_their_IANA_numbers(string name, ushort code) => Assert.Equal(code, DnsMessage.TypeCode(name));

    [Fact]
    public void An_unknown_type_is_refused_by_name()
    {
        var e = Assert.Throws<LvsException>(() => DnsMessage.TypeCode("BOGUS"));
        Assert.Equal("InvalidDnsQueryType", e.ErrorId);
        Assert.Equal("BOGUS", e.Target);
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("exämple.com")]
    [InlineData("has space.com")]
    public void A_name_that_cannot_be_sent_is_refused(string name)
    {
        var e = Assert.Throws<LvsException>(() => DnsMessage.EncodeQuery(1, name, 1));
        Assert.Equal("InvalidDnsQuery", e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Labels_stop_at_63_bytes_and_names_at_255()
    {
        DnsMessage.EncodeQuery(1, new string('a', 63) + ".com", 1);
        Assert.Equal("InvalidDnsQuery", Assert.Throws<LvsException>(() => DnsMessage.EncodeQuery(1, new string('a', 64) + ".com", 1)).ErrorId);
        string longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61); // 253 characters: 255 bytes on the wire
        Assert.Equal(DnsMessage.HeaderLength + 255 + 4, DnsMessage.EncodeQuery(1, longest, 1).Length);
        Assert.Equal("InvalidDnsQuery", Assert.Throws<LvsException>(() => DnsMessage.EncodeQuery(1, longest + "b", 1)).ErrorId);
    }

    [Fact]
    public void An_answer_header_is_read_field_by_field()
    {
        byte[] answer =
        [
            0x12, 0x34,         // ID
            0x85, 0x83,         // QR=1 opcode=0 AA=1 TC=0 RD=1 | RA=1 Z=0 RCODE=3 (NXDOMAIN)
            0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
        ];
        var h = DnsMessage.DecodeHeader(answer);
        Assert.Equal(new DnsHeader(0x1234, true, 0, false, 3, 1, 0, 1, 2), h);
        Assert.Equal("NXDOMAIN", DnsMessage.ResponseCodeName(h!.Value.ResponseCode));
        answer[2] = 0x02; // QR=0, TC=1
        answer[3] = 0x00;
        Assert.Equal(new DnsHeader(0x1234, false, 0, true, 0, 1, 0, 1, 2), DnsMessage.DecodeHeader(answer));
    }

    [Fact]
    public void A_datagram_shorter_than_a_header_is_no_answer() =>
        Assert.Null(DnsMessage.DecodeHeader(new byte[11]));

    [Fact]
    public void A_query_read_back_is_a_query_with_one_question()
    {
        var h = DnsMessage.DecodeHeader(DnsMessage.EncodeQuery(0xABCD, "ok.test", 1));
        Assert.Equal(new DnsHeader(0xABCD, false, 0, false, 0, 1, 0, 0, 0), h);
    }
}
