using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>
/// ipvsadm's text, one parser and one formatter per concept: endpoints, persistence netmasks, scheduler-flag names
/// (this file), and the service, real-server, timeout and daemon forms of `ipvsadm -S` and `ipvsadm -Ln`
/// (IpvsadmSyntax.Lines.cs). The cmdlets, the configuration document and the ipvsadm rules all read and write through
/// it; where they must differ (the rules follow ipvsadm's parse-time checks, a document the kernel's limits), the
/// difference is a parameter here, never a second parser.
/// </summary>
public static partial class IpvsadmSyntax
{
    // ---- endpoints ----

    /// <summary>The protocol's name as ipvsadm prints it ("TCP", "UDP", "SCTP"; "FWM" for a firewall-mark service).</summary>
    public static string ProtocolName(IpvsProtocol? protocol) => protocol switch
    {
        IpvsProtocol.Tcp => "TCP",
        IpvsProtocol.Udp => "UDP",
        IpvsProtocol.Sctp => "SCTP",
        null => "FWM",
        _ => "?",
    };

    /// <summary>"10.0.0.1:80" or "[2001:db8::1]:80", as ipvsadm prints addresses with -n.</summary>
    public static string FormatEndpoint(IPAddress? address, ushort port) => address is null
        ? $"?:{port}"
        : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    /// <summary>
    /// Parses "10.0.0.1:80", "[2001:db8::1]:80", "10.0.0.1", "2001:db8::1" or "[2001:db8::1]": the address, and the
    /// port when one is given. Addresses are numeric only (what `ipvsadm -S -n` writes; no host names).
    /// </summary>
    /// <exception cref="LvsException">InvalidIPAddress or InvalidPort, naming the whole text.</exception>
    public static (IPAddress Address, ushort? Port) ParseEndpoint(string text)
    {
        string t = text.Trim();
        string host = t;
        string? port = null;
        if (t.StartsWith('['))
        {
            int close = t.IndexOf(']');
            if (close > 0 && close + 1 < t.Length && t[close + 1] == ':')
            {
                host = t[1..close];
                port = t[(close + 2)..];
            }
        }
        else if (t.IndexOf(':') is > 0 and var colon && t.LastIndexOf(':') == colon)
        {
            host = t[..colon];
            port = t[(colon + 1)..];
        }
        var address = IPNetworkMath.ParseAddress(host, text);
        if (port is null)
            return (address, null);
        return ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            ? (address, p)
            : throw LvsException.Invalid("InvalidPort", $"'{text}' has no valid port after ':' (a number from 0 to 65535).", text);
    }

    /// <summary>An endpoint whose port, when the text has none, is <paramref name="defaultPort"/> (ipvsadm -r without a port).</summary>
    /// <exception cref="LvsException">InvalidIPAddress or InvalidPort.</exception>
    public static (IPAddress Address, ushort Port) ParseEndpoint(string text, ushort defaultPort)
    {
        var (address, port) = ParseEndpoint(text);
        return (address, port ?? defaultPort);
    }

    // ---- persistence netmasks ----

    /// <summary>The default persistence granularity: 0xFFFFFFFF (one client) for IPv4, 128 for IPv6.</summary>
    public static uint DefaultNetmask(IPFamily family) => family == IPFamily.IPv6 ? 128u : uint.MaxValue;

    /// <summary>The <see cref="LvsService.PersistenceNetmask"/> value of a prefix length (IPv4 a mask, IPv6 the length itself).</summary>
    public static uint NetmaskFromPrefix(IPFamily family, int prefix) => family == IPFamily.IPv6
        ? (uint)prefix
        : prefix <= 0 ? 0u : prefix >= 32 ? uint.MaxValue : ~(uint.MaxValue >> prefix);

    /// <summary>A netmask value as a prefix length; -1 for an IPv4 mask with holes (255.0.255.0).</summary>
    public static int PrefixLengthOf(IPFamily family, uint netmask)
    {
        if (family == IPFamily.IPv6)
            return (int)netmask;
        int ones = System.Numerics.BitOperations.LeadingZeroCount(~netmask);
        return NetmaskFromPrefix(family, ones) == netmask ? ones : -1;
    }

    /// <summary>An IPv4 netmask value as a dotted mask (0xFFFFFF00 = 255.255.255.0).</summary>
    public static IPAddress MaskAddress(uint mask)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, mask);
        return new IPAddress(b);
    }

    /// <summary>A netmask as ipvsadm writes it (-M and "mask"): IPv4 a dotted mask, IPv6 a prefix length.</summary>
    public static string FormatNetmask(IPFamily family, uint netmask) =>
        family == IPFamily.IPv6 ? netmask.ToString(CultureInfo.InvariantCulture) : MaskAddress(netmask).ToString();

    /// <summary>
    /// Parses a persistence netmask: a prefix length ("24" or "/24"; IPv4 0 to 32, IPv6 1 to 128) or, for IPv4, a
    /// dotted mask. <see cref="ValidationLevel.Create"/> (the cmdlets) takes only contiguous masks;
    /// <see cref="ValidationLevel.Kernel"/> (documents and ipvsadm rules, which restore what a kernel held) also a mask
    /// with holes (255.0.255.0), which the kernel keeps as given.
    /// </summary>
    /// <exception cref="LvsException">InvalidNetmask.</exception>
    public static uint ParseNetmask(IPFamily family, string text, ValidationLevel level = ValidationLevel.Create)
    {
        string t = text.Trim();
        string digits = t.StartsWith('/') ? t[1..] : t;
        if (digits.Length > 0 && digits.All(char.IsAsciiDigit))
        {
            int prefix = int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue;
            return NetmaskFromPrefix(family, IpvsValidation.PrefixLength(family, prefix));
        }
        if (family == IPFamily.IPv6)
            throw LvsException.Invalid("InvalidNetmask",
                $"'{text}' is not an IPv6 persistence prefix length (1 to 128; IPv6 has no dotted masks).", text);
        IPAddress mask;
        try { mask = IPNetworkMath.ParseAddress(t); }
        catch (LvsException) { mask = IPAddress.IPv6None; }
        if (mask.AddressFamily != AddressFamily.InterNetwork)
            throw LvsException.Invalid("InvalidNetmask",
                $"'{text}' is not a netmask: give a prefix length (0 to 32) or a dotted IPv4 mask (255.255.255.0).", text);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        if (level == ValidationLevel.Create && PrefixLengthOf(family, value) < 0)
            throw LvsException.Invalid("InvalidNetmask", $"'{text}' is not a contiguous netmask.", text);
        return value;
    }

    // ---- scheduler flags ----

    /// <summary>
    /// The scheduler flag bits by ipvsadm's names: sh-fallback / sh-port for sh, mh-fallback / mh-port for mh, flag-1 and
    /// flag-2 for any other scheduler, and flag-3 for every scheduler (no scheduler gives it a meaning, but the kernel
    /// keeps it: it is named rather than lost).
    /// </summary>
    public static IReadOnlyList<string> FormatSchedulerFlags(string scheduler, ServiceFlags flags)
    {
        var names = new List<string>(3);
        bool hashing = scheduler is "sh" or "mh";
        if ((flags & ServiceFlags.Sched1) != 0)
            names.Add(hashing ? scheduler + "-fallback" : "flag-1");
        if ((flags & ServiceFlags.Sched2) != 0)
            names.Add(hashing ? scheduler + "-port" : "flag-2");
        if ((flags & ServiceFlags.Sched3) != 0)
            names.Add("flag-3");
        return names;
    }

    /// <summary>
    /// The scheduler flag bits for names as ipvsadm -b takes them (case and surrounding blanks ignored). With a
    /// <paramref name="scheduler"/>, sh-* names must go with sh and mh-* with mh, as ipvsadm checks ("incompatible
    /// scheduler flag"); flag-1 to flag-3 go with any.
    /// </summary>
    /// <exception cref="LvsException">InvalidSchedulerFlag, naming the flag.</exception>
    public static ServiceFlags ParseSchedulerFlags(IEnumerable<string?>? names, string? scheduler = null)
    {
        var list = (names ?? []).ToList();
        if (scheduler is not null)
        {
            foreach (var n in list)
            {
                string lower = (n ?? "").Trim().ToLowerInvariant();
                if ((lower.StartsWith("sh-", StringComparison.Ordinal) || lower.StartsWith("mh-", StringComparison.Ordinal)) && lower[..2] != scheduler)
                    throw LvsException.Invalid("InvalidSchedulerFlag",
                        $"Scheduler flag '{n}' belongs to the {lower[..2]} scheduler, not {scheduler} (ipvsadm: incompatible scheduler flag; " +
                        "any scheduler takes the raw bits flag-1, flag-2, flag-3).", n);
            }
        }
        var flags = ServiceFlags.None;
        foreach (var n in list)
        {
            flags |= (n ?? "").Trim().ToLowerInvariant() switch
            {
                "sh-fallback" or "mh-fallback" or "flag-1" => ServiceFlags.Sched1,
                "sh-port" or "mh-port" or "flag-2" => ServiceFlags.Sched2,
                "flag-3" => ServiceFlags.Sched3,
                _ => throw LvsException.Invalid("InvalidSchedulerFlag",
                    $"'{n}' is not a scheduler flag: use sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2 or flag-3.", n),
            };
        }
        return flags;
    }

    /// <summary>The scheduler flag bits (Sched1 to Sched3).</summary>
    public const ServiceFlags SchedulerFlagBits = ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3;
}
