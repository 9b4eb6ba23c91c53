using System.Buffers.Binary;

namespace LvsTools.Core.Health;

/// <summary>The header of a DNS message (RFC 1035 4.1.1): what a probe needs to judge an answer.</summary>
/// <param name="Id">The query id the answer must echo.</param>
/// <param name="IsResponse">QR: 1 in an answer.</param>
/// <param name="Opcode">0 = QUERY.</param>
/// <param name="Truncated">TC: the answer did not fit (still an answer).</param>
/// <param name="ResponseCode">RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED…</param>
/// <param name="QuestionCount">QDCOUNT.</param>
/// <param name="AnswerCount">ANCOUNT.</param>
/// <param name="AuthorityCount">NSCOUNT.</param>
/// <param name="AdditionalCount">ARCOUNT.</param>
public readonly record struct DnsHeader(ushort Id, bool IsResponse, int Opcode, bool Truncated, int ResponseCode,
    ushort QuestionCount, ushort AnswerCount, ushort AuthorityCount, ushort AdditionalCount);

/// <summary>
/// The smallest DNS codec a health probe needs: one query out (header + one question, recursion desired), one header in.
/// All 16-bit fields are big-endian on the wire (RFC 1035 2.3.2); this is the only place that knows it.
/// Equivalent to: dig @ADDR -p PORT +retry=0 +time=T NAME TYPE
/// </summary>
public static class DnsMessage
{
    /// <summary>The header's length on the wire.</summary>
    public const int HeaderLength = 12;

    private const ushort ClassIn = 1;
    private const ushort FlagRecursionDesired = 0x0100;

    private static readonly Dictionary<string, ushort> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["A"] = 1, ["NS"] = 2, ["CNAME"] = 5, ["SOA"] = 6, ["PTR"] = 12, ["MX"] = 15, ["TXT"] = 16, ["AAAA"] = 28, ["SRV"] = 33,
    };

    /// <summary>The record types a probe may ask for, by name.</summary>
    public static IReadOnlyCollection<string> TypeNames => Types.Keys;

    /// <summary>The numeric type of "A", "aaaa", "MX"…</summary>
    /// <exception cref="LvsException">InvalidDnsQueryType.</exception>
    public static ushort TypeCode(string name) => Types.TryGetValue(name, out var code) ? code
        : throw LvsException.Invalid("InvalidDnsQueryType",
            $"'{name}' is not a DNS record type a probe asks for: use one of {string.Join(", ", Types.Keys)}.", name);

    /// <summary>
    /// A standard query (opcode QUERY, RD set) for <paramref name="name"/> ("example.com", "example.com." or "." for
    /// the root), class IN.
    /// </summary>
    /// <exception cref="LvsException">InvalidDnsQuery: an empty label, a label over 63 bytes, a name over 255 bytes, not ASCII.</exception>
    public static byte[] EncodeQuery(ushort id, string name, ushort type)
    {
        var qname = EncodeName(name);
        var message = new byte[HeaderLength + qname.Length + 4];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], FlagRecursionDesired);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1); // QDCOUNT; AN, NS, AR stay 0
        qname.CopyTo(span[HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(HeaderLength + qname.Length)..], type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(HeaderLength + qname.Length + 2)..], ClassIn);
        return message;
    }

    /// <summary>The header of a received message; null when it is shorter than a header.</summary>
    public static DnsHeader? DecodeHeader(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength)
            return null;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        return new DnsHeader(
            BinaryPrimitives.ReadUInt16BigEndian(message),
            (flags & 0x8000) != 0,
            (flags >> 11) & 0xF,
            (flags & 0x0200) != 0,
            flags & 0xF,
            BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[10..]));
    }

    /// <summary>"NOERROR", "SERVFAIL", "NXDOMAIN"… (RFC 1035 4.1.1, RFC 6895); "RCODE n" for others.</summary>
    public static string ResponseCodeName(int rcode) => rcode switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => $"RCODE {rcode}",
    };

    // "www.example.com" → 3 www 7 example 3 com 0 (RFC 1035 3.1); "." → 0.
    private static byte[] EncodeName(string name)
    {
        string trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0 && name.Length == 1)
            return [0];
        var labels = trimmed.Split('.');
        var wire = new List<byte>(trimmed.Length + 2);
        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || !label.All(c => c is > ' ' and < (char)127))
                throw LvsException.Invalid("InvalidDnsQuery",
                    $"'{name}' is not a DNS name a probe can ask for: labels of 1 to 63 ASCII characters without spaces, " +
                    "joined by '.' (use the punycode form of an international name; '.' asks for the root).", name);
            wire.Add((byte)label.Length);
            wire.AddRange(label.Select(c => (byte)c));
        }
        wire.Add(0);
        if (wire.Count > 255)
            throw LvsException.Invalid("InvalidDnsQuery", $"The DNS name '{name}' is longer than 255 bytes on the wire.", name);
        return [.. wire];
    }
}
