using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>A virtual service in a document.</summary>
public sealed class LvsServiceEntry
{
    /// <summary>tcp, udp, sctp; null for a firewall-mark service.</summary>
    public string? Protocol { get; set; }
    public string? Address { get; set; }
    public int Port { get; set; }
    public uint? FirewallMark { get; set; }
    /// <summary>ipv4 or ipv6.</summary>
    public string Family { get; set; } = "ipv4";
    public string Scheduler { get; set; } = LvsService.DefaultScheduler;
    /// <summary>sched1/2/3 flags by ipvsadm's names: sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3.</summary>
    public List<string>? SchedulerFlags { get; set; }
    public LvsPersistenceEntry? Persistence { get; set; }
    public string? PersistenceEngine { get; set; }
    public bool OnePacket { get; set; }
    /// <summary>
    /// The service's real servers (null: not managed, Import and Sync leave the service's real servers alone; an empty
    /// list: none, which Sync makes true by deleting them all).
    /// </summary>
    public List<LvsRealServerEntry>? RealServers { get; set; }

    [JsonIgnore]
    internal string SortKey => FirewallMark is { } m ? $"fwm {Family} {m:D10}" : $"{Protocol} {Family} {SortableAddress(Address)} {Port:D5}";

    internal static string SortableAddress(string? a) =>
        a is not null && IPAddress.TryParse(a, out var ip) ? Convert.ToHexString(ip.GetAddressBytes()) : a ?? "";

    /// <summary>The document entry of a service read from the kernel (or built in code) and its real servers.</summary>
    public static LvsServiceEntry From(LvsService s, IEnumerable<LvsRealServer> realServers) => new()
    {
        Protocol = s.FirewallMark is { } and not 0 ? null : s.Protocol?.ToString().ToLowerInvariant(),
        Address = s.FirewallMark is { } and not 0 ? null : s.Address?.ToString(),
        Port = s.FirewallMark is { } and not 0 ? 0 : s.Port,
        FirewallMark = s.FirewallMark is { } m and not 0 ? m : null,
        Family = s.AddressFamily == IPFamily.IPv6 ? "ipv6" : "ipv4",
        Scheduler = s.Scheduler,
        SchedulerFlags = FlagNames(s.Scheduler, s.Flags) is { Count: > 0 } f ? f : null,
        Persistence = s.Persistent || s.PersistenceNetmask != LvsService.DefaultNetmask(s.AddressFamily)
            ? new LvsPersistenceEntry
            {
                Enabled = s.Persistent,
                Timeout = (int)s.PersistenceTimeout.TotalSeconds,
                Netmask = s.AddressFamily == IPFamily.IPv6 ? s.PersistenceNetmask.ToString() : LvsService.MaskAddress(s.PersistenceNetmask).ToString(),
            }
            : null,
        PersistenceEngine = string.IsNullOrEmpty(s.PersistenceEngine) ? null : s.PersistenceEngine,
        OnePacket = s.OnePacket,
        RealServers = realServers.Select(LvsRealServerEntry.From).ToList(),
    };

    /// <summary>Names of the scheduler flag bits, Sched3 included (which LvsService.SchedulerFlagNames leaves out).</summary>
    internal static List<string> FlagNames(string scheduler, ServiceFlags flags)
    {
        var names = new List<string>();
        bool hashing = scheduler is "sh" or "mh";
        if ((flags & ServiceFlags.Sched1) != 0) names.Add(hashing ? scheduler + "-fallback" : "flag-1");
        if ((flags & ServiceFlags.Sched2) != 0) names.Add(hashing ? scheduler + "-port" : "flag-2");
        if ((flags & ServiceFlags.Sched3) != 0) names.Add("flag-3");
        return names;
    }

    /// <summary>The scheduler flag bits for names as ipvsadm -b takes them.</summary>
    public static ServiceFlags ParseFlagNames(IEnumerable<string>? names)
    {
        var f = ServiceFlags.None;
        foreach (var n in names ?? [])
        {
            f |= n.Trim().ToLowerInvariant() switch
            {
                "sh-fallback" or "mh-fallback" or "flag-1" => ServiceFlags.Sched1,
                "sh-port" or "mh-port" or "flag-2" => ServiceFlags.Sched2,
                "flag-3" => ServiceFlags.Sched3,
                _ => throw LvsException.Invalid("InvalidSchedulerFlag",
                    $"'{n}' is not a scheduler flag: use sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2 or flag-3.", n),
            };
        }
        return f;
    }

    /// <summary>The live service this entry describes.</summary>
    public LvsService ToService()
    {
        var family = ParseFamily(Family);
        var flags = ParseFlagNames(SchedulerFlags);
        if (Persistence?.Enabled == true)
            flags |= ServiceFlags.Persistent;
        if (OnePacket)
            flags |= ServiceFlags.OnePacket;
        IPAddress? address = null;
        IpvsProtocol? protocol = null;
        if (FirewallMark is null or 0)
        {
            address = IPNetworkMath.ParseAddress(Address ?? "");
            if (IpvsNetlink.FamilyOf(address) != family)
                throw LvsException.Invalid("InvalidConfigurationDocument", $"Service {Address}: family '{Family}' does not match the address.", Address);
            protocol = (Protocol ?? "").ToLowerInvariant() switch
            {
                "tcp" => IpvsProtocol.Tcp,
                "udp" => IpvsProtocol.Udp,
                "sctp" => IpvsProtocol.Sctp,
                _ => throw LvsException.Invalid("InvalidProtocol", $"Service {Address}:{Port}: protocol '{Protocol}' is not tcp, udp or sctp.", Protocol),
            };
        }
        if (Port is < 0 or > ushort.MaxValue)
            throw LvsException.Invalid("InvalidPort", $"Service {Address}: port {Port} is out of range.", Port);
        return new LvsService
        {
            AddressFamily = family,
            Protocol = protocol,
            Address = address,
            Port = (ushort)Port,
            FirewallMark = FirewallMark is { } m and not 0 ? m : null,
            Scheduler = Scheduler,
            Flags = flags,
            PersistenceTimeout = Persistence?.Enabled == true ? TimeSpan.FromSeconds(Persistence.Timeout) : TimeSpan.Zero,
            PersistenceNetmask = Persistence?.Netmask is { } nm ? ParseNetmask(family, nm) : LvsService.DefaultNetmask(family),
            PersistenceEngine = PersistenceEngine,
        };
    }

    internal static IPFamily ParseFamily(string? f) => (f ?? "ipv4").ToLowerInvariant() switch
    {
        "ipv4" or "inet" => IPFamily.IPv4,
        "ipv6" or "inet6" => IPFamily.IPv6,
        _ => throw LvsException.Invalid("InvalidConfigurationDocument", $"'{f}' is not an address family (ipv4 or ipv6).", f),
    };

    /// <summary>A persistence netmask: IPv6 a prefix length (1-128); IPv4 a dotted mask or a prefix length (0-32).</summary>
    /// <exception cref="LvsException">InvalidNetmask.</exception>
    internal static uint ParseNetmask(IPFamily family, string text)
    {
        bool number = text.Length > 0 && text.All(char.IsAsciiDigit);
        if (number)
        {
            int prefix = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue;
            return LvsService.NetmaskFromPrefix(family, IpvsValidation.PrefixLength(family, prefix));
        }
        if (family == IPFamily.IPv6)
            throw LvsException.Invalid("InvalidNetmask", $"'{text}' is not an IPv6 persistence prefix length (1 to 128; IPv6 has no dotted masks).", text);
        IPAddress mask;
        try { mask = IPNetworkMath.ParseAddress(text); }
        catch (LvsException) { throw LvsException.Invalid("InvalidNetmask", $"'{text}' is not a dotted IPv4 mask or a prefix length (0 to 32).", text); }
        var b = mask.GetAddressBytes();
        if (b.Length != 4)
            throw LvsException.Invalid("InvalidNetmask", $"'{text}' is not a dotted IPv4 mask or a prefix length (0 to 32).", text);
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}

/// <summary>Persistence settings of a service.</summary>
public sealed class LvsPersistenceEntry
{
    public bool Enabled { get; set; } = true;
    /// <summary>Seconds.</summary>
    public int Timeout { get; set; }
    /// <summary>IPv4: a dotted mask; IPv6: a prefix length.</summary>
    public string? Netmask { get; set; }
}
