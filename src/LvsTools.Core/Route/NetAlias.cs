using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>IP version of an address or service.</summary>
public enum IPFamily
{
    IPv4 = 2,
    IPv6 = 10,
}

/// <summary>Address scope (ifa_scope / RT_SCOPE_*).</summary>
public enum AddressScope : byte
{
    Global = 0, Site = 200, Link = 253, Host = 254, Nowhere = 255,
}

/// <summary>Address flags (IFA_F_*), the low 8 in ifa_flags, all 32 in IFA_FLAGS.</summary>
[Flags]
public enum AddressFlags : uint
{
    None = 0,
    Secondary = 0x01, NoDad = 0x02, Optimistic = 0x04, DadFailed = 0x08, HomeAddress = 0x10, Deprecated = 0x20,
    Tentative = 0x40, Permanent = 0x80, ManageTempAddress = 0x100, NoPrefixRoute = 0x200, MulticastAutoJoin = 0x400,
    StablePrivacy = 0x800,
}

/// <summary>
/// An address on an interface, with its label: the `eth0:1` lines of ifconfig and the `inet` lines of `ip addr`.
/// An alias is only a labelled address; its traffic is counted on the interface itself.
/// </summary>
public sealed class NetAlias
{
    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4, IFA_CACHEINFO = 6, IFA_FLAGS = 8;

    /// <summary>The sentinel for a lifetime that never ends (INFINITY_LIFE_TIME).</summary>
    public const uint Forever = 0xFFFFFFFF;

    public string InterfaceName { get; set; } = "";
    public int InterfaceIndex { get; init; }
    /// <summary>The IPv4 label (eth0:1); for IPv6 and unlabelled IPv4 addresses, the interface name or null.</summary>
    public string? Label { get; init; }
    public IPAddress IPAddress { get; init; } = IPAddress.None;
    public byte PrefixLength { get; init; }
    /// <summary>The peer address of a point-to-point address (IFA_ADDRESS when it differs from IFA_LOCAL).</summary>
    public IPAddress? Peer { get; init; }
    public IPAddress? Broadcast { get; init; }
    public AddressScope Scope { get; init; }
    public AddressFlags Flags { get; init; }
    /// <summary>Remaining valid lifetime; null = forever.</summary>
    public TimeSpan? ValidLifetime { get; init; }
    /// <summary>Remaining preferred lifetime; null = forever.</summary>
    public TimeSpan? PreferredLifetime { get; init; }
    public string? NetNamespace { get; set; }
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    public IPFamily AddressFamily => IPAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPFamily.IPv6 : IPFamily.IPv4;

    /// <summary>The dotted mask of an IPv4 prefix (255.255.255.0); null for IPv6.</summary>
    public IPAddress? SubnetMask => AddressFamily == IPFamily.IPv4 ? IPNetworkMath.MaskFromPrefix(PrefixLength) : null;

    public bool IsSecondary => (Flags & AddressFlags.Secondary) != 0 && AddressFamily == IPFamily.IPv4;

    /// <summary>address/prefix, as `ip addr` prints it.</summary>
    public string Cidr => $"{IPAddress}/{PrefixLength}";

    /// <summary>Parses an RTM_NEWADDR payload (ifaddrmsg + attributes).</summary>
    public static NetAlias Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8)
            throw new NetlinkProtocolException($"RTM_NEWADDR of {payload.Length} bytes");
        byte family = payload[0], prefix = payload[1], flags8 = payload[2], scope = payload[3];
        int index = NativeEndian.I32(payload[4..]);
        IPAddress? local = null, address = null, brd = null;
        string? label = null;
        uint? flags32 = null;
        TimeSpan? valid = null, preferred = null;
        List<UnknownAttribute>? unknown = null;
        foreach (var a in new NetlinkAttributeReader(payload[8..]))
        {
            switch (a.Type)
            {
                case IFA_LOCAL: local = a.Address(); break;
                case IFA_ADDRESS: address = a.Address(); break;
                case IFA_BROADCAST: brd = a.Address(); break;
                case IFA_LABEL: label = a.String(); break;
                case IFA_FLAGS: flags32 = a.U32(); break;
                case IFA_CACHEINFO when a.Value.Length >= 8:
                    preferred = Lifetime(NativeEndian.U32(a.Value));
                    valid = Lifetime(NativeEndian.U32(a.Value[4..]));
                    break;
                default: UnknownAttribute.Keep(ref unknown, a); break;
            }
        }
        var ip = local ?? address ?? throw new NetlinkProtocolException("RTM_NEWADDR without an address");
        if (family != 2 && family != 10)
            throw new NetlinkProtocolException($"RTM_NEWADDR of family {family}");
        return new NetAlias
        {
            InterfaceIndex = index, IPAddress = ip, PrefixLength = prefix, Label = label,
            Peer = local is not null && address is not null && !address.Equals(local) ? address : null,
            Broadcast = brd, Scope = (AddressScope)scope, Flags = (AddressFlags)(flags32 ?? flags8),
            ValidLifetime = valid, PreferredLifetime = preferred, UnknownAttributes = UnknownAttribute.Kept(unknown),
        };
    }

    private static TimeSpan? Lifetime(uint seconds) => seconds == Forever ? null : TimeSpan.FromSeconds(seconds);

    public override string ToString() => Label is { } l && l != InterfaceName ? $"{l} {Cidr}" : $"{InterfaceName} {Cidr}";
}

/// <summary>Prefix and mask arithmetic, and parsing of user-typed addresses.</summary>
public static class IPNetworkMath
{
    public static IPAddress MaskFromPrefix(int prefix)
    {
        uint m = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return new IPAddress([(byte)(m >> 24), (byte)(m >> 16), (byte)(m >> 8), (byte)m]);
    }

    /// <summary>The prefix length of a contiguous IPv4 mask (255.255.255.0 → 24); null when the mask has holes.</summary>
    public static int? PrefixFromMask(IPAddress mask)
    {
        if (mask.AddressFamily != AddressFamily.InterNetwork)
            return null;
        var b = mask.GetAddressBytes();
        uint m = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        int prefix = System.Numerics.BitOperations.LeadingZeroCount(~m);
        return (prefix == 32 ? uint.MaxValue : ~(uint.MaxValue >> prefix)) == m ? prefix : null;
    }

    /// <summary>The directed broadcast of an IPv4 network (what `brd +` computes); null for /31 and /32.</summary>
    public static IPAddress? Broadcast(IPAddress address, int prefix)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork || prefix >= 31)
            return null;
        var b = address.GetAddressBytes();
        uint a = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) | (uint.MaxValue >> prefix);
        return new IPAddress([(byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a]);
    }

    public static int MaxPrefix(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    /// <summary>
    /// Parses "192.0.2.1", "192.0.2.1/24" or "2001:db8::1/64" strictly (no "10.1" shorthand, no octets over 255).
    /// </summary>
    /// <exception cref="LvsException">InvalidIPAddress or InvalidPrefixLength.</exception>
    public static (IPAddress Address, int? Prefix) Parse(string text)
    {
        string addr = text.Trim();
        int? prefix = null;
        int slash = addr.IndexOf('/');
        if (slash >= 0)
        {
            if (!int.TryParse(addr[(slash + 1)..], System.Globalization.NumberStyles.None, null, out int p))
                throw LvsException.Invalid("InvalidPrefixLength", $"'{text}' has no valid prefix length after '/'.", text);
            prefix = p;
            addr = addr[..slash];
        }
        var ip = ParseAddress(addr, text);
        if (prefix is { } px && px > MaxPrefix(ip.AddressFamily))
            throw LvsException.Invalid("InvalidPrefixLength",
                $"Prefix length {px} in '{text}' is out of range: 0 to {MaxPrefix(ip.AddressFamily)} for {(ip.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6")}.", text);
        return (ip, prefix);
    }

    /// <summary>
    /// Parses a single address strictly: IPv4 only as a dotted quad of decimal numbers 0-255 without leading zeros
    /// ("10.0.0.1"; not "010.0.0.1", which inet_aton reads as octal 8.0.0.1, nor "10.1", "0x0a.0.0.1" or "167772161"),
    /// IPv6 in its normal text form ("2001:db8::1", "[2001:db8::1]", "::ffff:192.0.2.1") without a zone ("%eth0").
    /// </summary>
    /// <exception cref="LvsException">InvalidIPAddress, naming the expected form.</exception>
    public static IPAddress ParseAddress(string text, string? shownAs = null)
    {
        string t = text.Trim();
        if (t.StartsWith('[') && t.EndsWith(']'))
            t = t[1..^1];
        string shown = shownAs ?? text;
        if (t.Contains(':'))
        {
            if (t.Contains('%') || !IPAddress.TryParse(t, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6
                || (t.Contains('.') && !IsDottedQuad(t.AsSpan(t.LastIndexOf(':') + 1))))
                throw LvsException.Invalid("InvalidIPAddress",
                    $"'{shown}' is not a valid IPv6 address: expected the normal text form such as 2001:db8::1 (no zone such as %eth0).", shown);
            return v6;
        }
        if (!IsDottedQuad(t))
            throw LvsException.Invalid("InvalidIPAddress",
                $"'{shown}' is not a valid IPv4 or IPv6 address: expected IPv4 as four decimal numbers 0-255 without leading zeros " +
                "(such as 192.0.2.1), or IPv6 such as 2001:db8::1.", shown);
        return IPAddress.Parse(t);
    }

    /// <summary>Four dot-separated decimal numbers 0-255, each without a leading zero ("0" itself is fine).</summary>
    private static bool IsDottedQuad(ReadOnlySpan<char> t)
    {
        // One walk over the characters, no string per octet and no library parsing: a 50,000-entry document parses
        // 50,000 addresses, and int.Parse / ContainsAnyExceptInRange allocated about 380 bytes per address in code not
        // yet optimised by the JIT (ReadyToRun, tier 0), which is how a fresh pwsh reads a document.
        int octets = 0, digits = 0, value = 0;
        for (int i = 0; i <= t.Length; i++)
        {
            if (i == t.Length || t[i] == '.')
            {
                if (digits == 0 || value > 255 || ++octets > 4)
                    return false;
                digits = value = 0;
                continue;
            }
            char c = t[i];
            if (c is < '0' or > '9' || (digits == 1 && value == 0) || ++digits > 3)
                return false;
            value = value * 10 + (c - '0');
        }
        return octets == 4;
    }

    /// <summary>
    /// Why <paramref name="address"/> cannot be a virtual IP or a virtual service's address, or null when it can. One rule
    /// for Add-LvsVirtualIp and New-LvsService (the kernel itself accepts a service on any of these, so a foreign table
    /// holding one is still read, exported and restored): the unspecified address (0.0.0.0, ::), the limited broadcast
    /// 255.255.255.255, multicast (224.0.0.0/4, ff00::/8), the reserved 240.0.0.0/4, and IPv4-mapped IPv6
    /// (::ffff:a.b.c.d, which the kernel treats as neither IPv4 nor a unicast IPv6 address: give the IPv4 address itself).
    /// </summary>
    public static string? NotUnicastReason(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return "the unspecified address";
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            byte first = address.GetAddressBytes()[0];
            if (address.Equals(IPAddress.Broadcast))
                return "the limited broadcast address";
            if (first is >= 224 and <= 239)
                return "a multicast address (224.0.0.0/4)";
            if (first >= 240)
                return "a reserved address (240.0.0.0/4)";
            return null;
        }
        if (address.IsIPv6Multicast)
            return "a multicast address (ff00::/8)";
        if (address.IsIPv4MappedToIPv6)
            return $"an IPv4-mapped IPv6 address (use {address.MapToIPv4()} itself)";
        return null;
    }
}
