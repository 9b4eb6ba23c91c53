using System.Globalization;
using System.Net;
using System.Numerics;
using System.Net.Sockets;

namespace LvsTools.Core.Keepalived;

/// <summary>
/// `virtual_server_group NAME { ... }` (keepalived.conf(5), "Virtual server group(s)"): its members are addresses with an
/// optional port, address ranges (10.0.0.1-10, 10.0.0.250-10.0.1.10, 10.0.0.8/29, and their IPv6 forms, whose range is of
/// the last group, in hex) and `fwmark N [inet|inet6]`. A `virtual_server group NAME` becomes one service per member, all
/// with the block's settings, which is the table keepalived builds.
/// </summary>
internal sealed partial class KeepalivedReader
{
    /// <summary>The most services one group may expand to (a /16 range would be 65,536 services).</summary>
    public const int MaxGroupMembers = 4096;

    private static List<KeepalivedServiceKey> GroupMembers(KeepalivedNode g)
    {
        if (g.Block is null)
            throw KeepalivedSyntax.Syntax(g.File, g.Line, "virtual_server_group needs a block ({ ... })");
        var members = new List<KeepalivedServiceKey>();
        foreach (var n in g.Block)
        {
            if (n.Keyword == "fwmark")
            {
                string? family = n.Args.Count > 1 ? n.Args[1] switch
                {
                    "inet" => "ipv4",
                    "inet6" => "ipv6",
                    _ => throw Bad(n, $"'{n.Args[1]}' is not inet or inet6"),
                } : null;
                members.Add(new KeepalivedServiceKey(null, 0, (uint)Number(n, 0, 1, uint.MaxValue), family));
            }
            else
            {
                int port = n.Args.Count > 0 ? (int)Number(n, 0, 0, 65535) : 0;
                if (n.Args.Count > 1 || n.Block is not null)
                    throw Bad(n, "a group member is an address or range with an optional port, or fwmark N [inet|inet6]");
                foreach (var a in Range(n))
                    members.Add(new KeepalivedServiceKey(a, port, null, null));
            }
            if (members.Count > MaxGroupMembers)
                throw LvsException.Invalid("KeepalivedValueOutOfRange",
                    $"{n.Where}: virtual_server_group {Arg(g, 0)} names more than {MaxGroupMembers} services; LvsTools expands a group into one service each.", Arg(g, 0));
        }
        return members;
    }

    /// <summary>The addresses of a member's first word: one address, FIRST-LAST, FIRST-LASTPART or ADDRESS/PREFIX.</summary>
    private static IEnumerable<IPAddress> Range(KeepalivedNode n)
    {
        string text = n.Keyword;
        var one = new KeepalivedNode(n.Keyword, [text], null, n.File, n.Line);
        int slash = text.IndexOf('/'), dash = text.IndexOf('-');
        if (slash < 0 && dash < 0)
            return [Address(one, 0)];
        if (slash > 0)
        {
            var start = Address(one with { Args = [text[..slash]] }, 0);
            int bits = start.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            int prefix = int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p <= bits ? p
                : throw Bad(n, $"'{text}' has no prefix length from 0 to {bits}");
            if (bits - prefix > 12)
                throw LvsException.Invalid("KeepalivedValueOutOfRange", $"{n.Where}: '{text}' names more than {MaxGroupMembers} addresses.", text);
            var first = ToNumber(start) >> (bits - prefix) << (bits - prefix);
            return Count(first, BigInteger.One << (bits - prefix), start.AddressFamily);
        }
        var low = Address(one with { Args = [text[..dash]] }, 0);
        string end = text[(dash + 1)..];
        BigInteger last;
        if (IPAddress.TryParse(end, out var high) && end.Contains(low.AddressFamily == AddressFamily.InterNetworkV6 ? ':' : '.'))
        {
            last = high.AddressFamily == low.AddressFamily ? ToNumber(high) : throw Bad(n, $"'{text}' mixes address families");
        }
        else
        {
            bool v6 = low.AddressFamily == AddressFamily.InterNetworkV6;
            var style = v6 ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
            int partBits = v6 ? 16 : 8;
            if (!uint.TryParse(end, style, CultureInfo.InvariantCulture, out uint part) || part >= 1u << partBits)
                throw Bad(n, $"'{text}' is not an address range");
            last = (ToNumber(low) >> partBits << partBits) + part;
        }
        var from = ToNumber(low);
        if (last < from)
            throw Bad(n, $"'{text}' ends before it starts");
        if (last - from >= MaxGroupMembers)
            throw LvsException.Invalid("KeepalivedValueOutOfRange", $"{n.Where}: '{text}' names more than {MaxGroupMembers} addresses.", text);
        return Count(from, last - from + 1, low.AddressFamily);
    }

    private static BigInteger ToNumber(IPAddress a) => new(a.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IEnumerable<IPAddress> Count(BigInteger from, BigInteger count, AddressFamily family)
    {
        int size = family == AddressFamily.InterNetworkV6 ? 16 : 4;
        for (BigInteger i = 0; i < count; i++)
        {
            var bytes = (from + i).ToByteArray(isUnsigned: true, isBigEndian: true);
            var full = new byte[size];
            bytes.AsSpan().CopyTo(full.AsSpan(size - bytes.Length));
            yield return new IPAddress(full);
        }
    }
}
