using System.Net;
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

    // schemaVersion 2: how the controller keeps the service healthy. Import and Sync do not apply these (a static table).

    /// <summary>The health check of the service's real servers (a real server's own replaces it); null: not probed.</summary>
    public LvsHealthCheckEntry? HealthCheck { get; set; }
    /// <summary>inhibit (the default) or remove: what a failed real server gets; typed: <see cref="OnFailure"/>.</summary>
    [JsonPropertyName("onFailure")]
    public string? OnFailureName { get; set; }
    /// <summary>The least sum of healthy weights (0 or more; default <see cref="DefaultQuorum"/>); below it, quorum is lost.</summary>
    public int? Quorum { get; set; }
    /// <summary>How far above the quorum the sum must rise to regain it (0 or more, not above the quorum; default 0).</summary>
    public int? Hysteresis { get; set; }
    /// <summary>true: real servers start failed until their check proves them healthy (keepalived's alpha).</summary>
    public bool? Alpha { get; set; }
    /// <summary>The server that takes the traffic while the quorum is lost.</summary>
    public LvsSorryServerEntry? SorryServer { get; set; }
    /// <summary>Seconds a retired real server may keep its connections before it is deleted (0.001 to 31 days); typed:
    /// <see cref="DrainTimeout"/>.</summary>
    [JsonPropertyName("drainTimeout")]
    public double? DrainTimeoutSeconds { get; set; }

    /// <summary>
    /// The service's real servers (null: not managed, Import and Sync leave the service's real servers alone; an empty
    /// list: none, which Sync makes true by deleting them all).
    /// </summary>
    public List<LvsRealServerEntry>? RealServers { get; set; }

    /// <summary>The quorum when the document gives none (keepalived's): lost when no real server is healthy.</summary>
    public const int DefaultQuorum = 1;

    /// <summary>What a failed real server gets (Inhibit when the document says nothing).</summary>
    /// <exception cref="LvsException">InvalidOnFailure: not inhibit or remove (a document read by FromJson never has one).</exception>
    [JsonIgnore]
    public LvsFailureAction OnFailure => ParseOnFailure(OnFailureName)
        ?? throw LvsException.Invalid("InvalidOnFailure", $"onFailure '{OnFailureName}' is not inhibit or remove.", OnFailureName);

    /// <summary>How long a retired real server may keep its connections (null: the caller's default).</summary>
    [JsonIgnore]
    public TimeSpan? DrainTimeout => DrainTimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null;

    /// <summary>The quorum in force: <see cref="Quorum"/>, else <see cref="DefaultQuorum"/>.</summary>
    [JsonIgnore]
    public int EffectiveQuorum => Quorum ?? DefaultQuorum;

    /// <summary>The hysteresis in force: <see cref="Hysteresis"/>, else 0.</summary>
    [JsonIgnore]
    public int EffectiveHysteresis => Hysteresis ?? 0;

    /// <summary>
    /// The health check that applies to <paramref name="realServer"/>: its own, else the service's, else none
    /// (<see cref="HealthCheckType.None"/>: never probed, taken as healthy).
    /// </summary>
    public HealthCheck HealthCheckFor(LvsRealServerEntry realServer)
    {
        ArgumentNullException.ThrowIfNull(realServer);
        return (realServer.HealthCheck ?? HealthCheck)?.ToHealthCheck() ?? LvsHealthCheckEntry.NoCheck;
    }

    /// <summary>The sorry server as a real server of <paramref name="service"/> (null: the document names none).</summary>
    public LvsRealServer? SorryServerFor(ServiceKey service) => SorryServer?.ToRealServer(service);

    internal static LvsFailureAction? ParseOnFailure(string? name) => (name ?? "inhibit").ToLowerInvariant() switch
    {
        "inhibit" => LvsFailureAction.Inhibit,
        "remove" => LvsFailureAction.Remove,
        _ => null,
    };

    /// <summary>The service a document check built from this entry, and which check (<see cref="LvsResolvedEntries"/>).</summary>
    [JsonIgnore]
    internal (LvsResolvedEntries By, LvsService Service)? Resolved { get; set; }

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
        SchedulerFlags = IpvsadmSyntax.FormatSchedulerFlags(s.Scheduler, s.Flags) is { Count: > 0 } f ? f.ToList() : null,
        Persistence = s.Persistent || s.PersistenceNetmask != IpvsadmSyntax.DefaultNetmask(s.AddressFamily)
            ? new LvsPersistenceEntry
            {
                Enabled = s.Persistent,
                Timeout = (int)s.PersistenceTimeout.TotalSeconds,
                Netmask = IpvsadmSyntax.FormatNetmask(s.AddressFamily, s.PersistenceNetmask),
            }
            : null,
        PersistenceEngine = string.IsNullOrEmpty(s.PersistenceEngine) ? null : s.PersistenceEngine,
        OnePacket = s.OnePacket,
        RealServers = realServers.Select(LvsRealServerEntry.From).ToList(),
    };

    /// <summary>
    /// The live service this entry describes. A document restores what some kernel held, so its netmask is read at the
    /// kernel's limits (<see cref="ValidationLevel.Kernel"/>: an IPv4 mask with holes is kept).
    /// </summary>
    public LvsService ToService() => ToService(null);

    /// <summary>As <see cref="ToService()"/>, with the address the document check has already parsed (null: parsed here).</summary>
    internal LvsService ToService(IPAddress? parsedAddress)
    {
        var family = ParseFamily(Family);
        ServiceKey key;
        if (FirewallMark is { } mark and not 0)
        {
            key = new ServiceKey(family, null, null, 0, mark);
        }
        else
        {
            var address = parsedAddress ?? IPNetworkMath.ParseAddress(Address ?? "");
            if (IpvsNetlink.FamilyOf(address) != family)
                throw LvsException.Invalid("InvalidConfigurationDocument", $"Service {Address}: family '{Family}' does not match the address.", Address);
            var protocol = (Protocol ?? "").ToLowerInvariant() switch
            {
                "tcp" => IpvsProtocol.Tcp,
                "udp" => IpvsProtocol.Udp,
                "sctp" => IpvsProtocol.Sctp,
                _ => throw LvsException.Invalid("InvalidProtocol", $"Service {Address}:{Port}: protocol '{Protocol}' is not tcp, udp or sctp.", Protocol),
            };
            if (Port is < 0 or > ushort.MaxValue)
                throw LvsException.Invalid("InvalidPort", $"Service {Address}: port {Port} is out of range.", Port);
            key = new ServiceKey(family, protocol, address, (ushort)Port, 0);
        }
        bool persistent = Persistence?.Enabled == true;
        return ServiceSettings.New(key, Scheduler, SchedulerFlags, persistent, persistent ? TimeSpan.FromSeconds(Persistence!.Timeout) : null,
            Persistence?.Netmask, PersistenceEngine, OnePacket, LvsConfigurationValidator.DocumentLevel);
    }

    internal static IPFamily ParseFamily(string? f) => (f ?? "ipv4").ToLowerInvariant() switch
    {
        "ipv4" or "inet" => IPFamily.IPv4,
        "ipv6" or "inet6" => IPFamily.IPv6,
        _ => throw LvsException.Invalid("InvalidConfigurationDocument", $"'{f}' is not an address family (ipv4 or ipv6).", f),
    };
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
