using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>
/// A whole LVS configuration as a versioned JSON document: services with their real servers (thresholds, tunnel
/// options, scheduler flags, persistence engine), timeouts, sync daemons, and optionally the virtual IPs and sysctls
/// they depend on. Lossless where `ipvsadm -S` is not: export, flush, import, export gives the same text.
/// Lists are kept in a canonical order (services by key, real servers by address and port), so two exports of the
/// same state are byte-identical.
/// </summary>
public sealed class LvsConfigurationDocument
{
    /// <summary>The document format's version; readers reject versions they do not know.</summary>
    public const int CurrentSchemaVersion = 1;

    [JsonRequired]
    public int SchemaVersion { get; set; } = CurrentSchemaVersion;
    public string? Generator { get; set; }
    public LvsTimeoutsEntry? Timeouts { get; set; }
    /// <summary>Sync daemons (null: not part of the document, left alone on import and sync).</summary>
    public List<LvsSyncDaemonEntry>? SyncDaemons { get; set; }
    /// <summary>
    /// Services with their real servers (null: not part of the document, left alone on import and sync; an empty list:
    /// no services, which Sync makes true by deleting every service).
    /// </summary>
    public List<LvsServiceEntry>? Services { get; set; }
    /// <summary>Virtual IP aliases (null: not part of the document, left alone on import).</summary>
    public List<LvsVirtualIpEntry>? VirtualIps { get; set; }
    /// <summary>Kernel parameters (null: not part of the document, left alone on import).</summary>
    public List<LvsSysctlEntry>? Sysctls { get; set; }

    /// <summary>Number of real servers over all services.</summary>
    [JsonIgnore]
    public int RealServerCount => Services?.Sum(s => s.RealServers?.Count ?? 0) ?? 0;

    /// <summary>
    /// The top-level sections this document manages (present, even if empty) among services, timeouts, syncDaemons,
    /// virtualIps and sysctls. A listed service without a realServers list is named in <see cref="UnmanagedSections"/>.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> ManagedSections => Sections().Where(s => s.Managed).Select(s => s.Name).ToList();

    /// <summary>
    /// The sections Import and Sync leave alone because the document leaves them out (absent or null): top-level sections
    /// by name, and "$.services[i].realServers" for a listed service without a realServers list.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> UnmanagedSections => Sections().Where(s => !s.Managed).Select(s => s.Name)
        .Concat((Services ?? []).Select((s, i) => (s, i)).Where(x => x.s.RealServers is null).Select(x => $"$.services[{x.i}].realServers"))
        .ToList();

    private IEnumerable<(string Name, bool Managed)> Sections() =>
    [
        ("services", Services is not null), ("timeouts", Timeouts is not null), ("syncDaemons", SyncDaemons is not null),
        ("virtualIps", VirtualIps is not null), ("sysctls", Sysctls is not null),
    ];

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // A misspelt property must not silently become a default that Sync then enforces.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The document as JSON text (indented, canonical order, "\n" line ends).</summary>
    public string ToJson()
    {
        Canonicalize();
        return JsonSerializer.Serialize(this, Options).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>Reads a document; see <see cref="FromJson(byte[])"/>.</summary>
    public static LvsConfigurationDocument FromJson(string json) => FromJson(Encoding.UTF8.GetBytes(json));

    /// <summary>
    /// Reads and checks a document (UTF-8 JSON): wrong JSON, a duplicate property, an unknown property or version, a
    /// value of the wrong type and anything <see cref="LvsConfigurationValidator"/> finds is an InvalidArgument naming
    /// the JSON path ("$.services[3].realServers[1].port") and the value. More than
    /// <see cref="BoundedInput.MaxInputBytes"/> bytes is InputTooLarge.
    /// </summary>
    public static LvsConfigurationDocument FromJson(byte[] utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        if (utf8.Length > BoundedInput.MaxInputBytes)
            throw BoundedInput.TooLarge("The configuration document", null, BoundedInput.MaxInputBytes);
        (string Path, string Name)? duplicate = null;
        try
        {
            duplicate = JsonPrepass.FindDuplicate(utf8);
        }
        catch (JsonException)
        {
            // not JSON: the deserializer below says where
        }
        if (duplicate is { } d)
            throw LvsException.Invalid("DuplicateJsonProperty",
                $"{d.Path}: property '{LvsConfigurationValidator.Show(d.Name).Trim('\'')}' is given twice in one object; a document must say each thing once.", d.Path);
        LvsConfigurationDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<LvsConfigurationDocument>(utf8, Options);
        }
        catch (JsonException e)
        {
            string path = e.Path ?? "$";
            string? value = e.Path is null ? null : JsonPrepass.ValueAt(utf8, e.Path);
            string shown = value is null ? "" : $" (value {LvsConfigurationValidator.Show(value)})";
            string why = e.Message;
            int cut = why.IndexOf(" Path: ", StringComparison.Ordinal);
            if (cut > 0 && e.LineNumber is { } line)
                why = why[..cut] + $" (line {line + 1}, byte {e.BytePositionInLine + 1})";
            throw LvsException.Invalid("InvalidConfigurationDocument",
                $"{path}{shown}: the configuration document is not valid JSON of the expected shape: {why}", path);
        }
        catch (ArgumentException e)
        {
            // System.Text.Json refuses a string with an unpaired UTF-16 surrogate before it reads any JSON.
            throw LvsException.Invalid("InvalidConfigurationDocument",
                $"The configuration document is not valid text: {e.Message} Save it as UTF-8 and read it again.", null);
        }
        if (doc is null)
            throw LvsException.Invalid("InvalidConfigurationDocument", "$: the configuration document is empty (null).", "$");
        if (doc.SchemaVersion != CurrentSchemaVersion)
            throw LvsException.Invalid("UnsupportedConfigurationVersion",
                $"The document has schemaVersion {doc.SchemaVersion}; this LvsTools reads version {CurrentSchemaVersion}.", doc.SchemaVersion);
        if (FirstMissingValue(doc, "$", new System.Reflection.NullabilityInfoContext()) is { } nullAt)
            throw LvsException.Invalid("InvalidConfigurationDocument",
                $"{nullAt}: the configuration document has null here, where a value is required: give the value or leave the member out.", nullAt);
        LvsConfigurationValidator.Validate(doc);
        return doc;
    }

    /// <summary>
    /// The JSON path of the first null where the document's classes do not allow one: a list item (`"services": [null]`) or a
    /// non-nullable string (`"address": null`). System.Text.Json on net8.0 lets both through, and every later step assumes
    /// neither. A whole list that is null is left to the caller (it may mean "not managed").
    /// </summary>
    private static string? FirstMissingValue(object node, string path, System.Reflection.NullabilityInfoContext nullability)
    {
        foreach (var p in node.GetType().GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (!p.CanWrite || p.GetIndexParameters().Length > 0 || p.IsDefined(typeof(JsonIgnoreAttribute), true))
                continue;
            string at = path + "." + JsonNamingPolicy.CamelCase.ConvertName(p.Name);
            var value = p.GetValue(node);
            if (value is null)
            {
                if (p.PropertyType == typeof(string) && nullability.Create(p).WriteState == System.Reflection.NullabilityState.NotNull)
                    return at;
                continue;
            }
            if (value is System.Collections.IList list)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is null)
                        return $"{at}[{i}]";
                    if (list[i] is not string && FirstMissingValue(list[i]!, $"{at}[{i}]", nullability) is { } inner)
                        return inner;
                }
            }
            else if (p.PropertyType.IsClass && p.PropertyType != typeof(string) && p.PropertyType.Assembly == typeof(LvsConfigurationDocument).Assembly
                && FirstMissingValue(value, at, nullability) is { } inner)
            {
                return inner;
            }
        }
        return null;
    }

    /// <summary>Sorts every list into its canonical order.</summary>
    public void Canonicalize()
    {
        // OrderBy computes each key once (a Sort comparison would parse addresses on every compare).
        Services = Services?.OrderBy(s => s.SortKey, StringComparer.Ordinal).ToList();
        foreach (var s in Services ?? [])
            if (s.RealServers is { Count: > 1 })
                s.RealServers = s.RealServers.OrderBy(r => r.SortKey, StringComparer.Ordinal).ToList();
        SyncDaemons?.Sort((a, b) => string.CompareOrdinal(a.State, b.State));
        VirtualIps?.Sort((a, b) => string.CompareOrdinal(a.InterfaceName + " " + a.Address, b.InterfaceName + " " + b.Address));
        Sysctls?.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
    }

    /// <summary>Builds a document from the live model.</summary>
    public static LvsConfigurationDocument From(IEnumerable<LvsService> services, IEnumerable<LvsRealServer> realServers,
        LvsTimeouts? timeouts, IEnumerable<LvsSyncDaemon>? daemons)
    {
        var byKey = realServers.GroupBy(r => r.Service).ToDictionary(g => g.Key, g => g.ToList());
        var doc = new LvsConfigurationDocument
        {
            Generator = "LvsTools " + typeof(LvsConfigurationDocument).Assembly.GetName().Version?.ToString(3),
            Timeouts = timeouts is null ? null : LvsTimeoutsEntry.From(timeouts),
            SyncDaemons = daemons?.Select(LvsSyncDaemonEntry.From).ToList(),
            Services = services.Select(s => LvsServiceEntry.From(s, byKey.TryGetValue(s.Key, out var rs) ? rs : [])).ToList(),
        };
        doc.Canonicalize();
        return doc;
    }
}

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

    /// <summary>The live service this entry was read from (planning uses it instead of converting back).</summary>
    [JsonIgnore]
    internal LvsService? Live { get; private init; }

    public static LvsServiceEntry From(LvsService s, IEnumerable<LvsRealServer> realServers)
    {
        var entry = FromCore(s, realServers);
        return new LvsServiceEntry
        {
            Protocol = entry.Protocol, Address = entry.Address, Port = entry.Port, FirewallMark = entry.FirewallMark, Family = entry.Family,
            Scheduler = entry.Scheduler, SchedulerFlags = entry.SchedulerFlags, Persistence = entry.Persistence,
            PersistenceEngine = entry.PersistenceEngine, OnePacket = entry.OnePacket, RealServers = entry.RealServers, Live = s,
        };
    }

    /// <summary>An entry that only carries the live objects, for planning (its text fields stay empty).</summary>
    internal static LvsServiceEntry ForPlanning(LvsService s, IEnumerable<LvsRealServer> realServers) => new()
    {
        Live = s,
        RealServers = realServers.Select(r => new LvsRealServerEntry { Live = r }).ToList(),
    };

    private static LvsServiceEntry FromCore(LvsService s, IEnumerable<LvsRealServer> realServers) => new()
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

/// <summary>A real server in a document.</summary>
public sealed class LvsRealServerEntry
{
    public string Address { get; set; } = "";
    public int Port { get; set; }
    /// <summary>route, masquerade, tunnel, local or bypass.</summary>
    public string Forwarding { get; set; } = "route";
    public int Weight { get; set; } = 1;
    public uint UpperThreshold { get; set; }
    public uint LowerThreshold { get; set; }
    public LvsTunnelEntry? Tunnel { get; set; }

    [JsonIgnore]
    internal string SortKey => $"{LvsServiceEntry.SortableAddress(Address)} {Port:D5}";

    /// <summary>The live real server this entry was read from.</summary>
    [JsonIgnore]
    internal LvsRealServer? Live { get; init; }

    public static LvsRealServerEntry From(LvsRealServer r)
    {
        var entry = FromCore(r);
        return new LvsRealServerEntry
        {
            Address = entry.Address, Port = entry.Port, Forwarding = entry.Forwarding, Weight = entry.Weight,
            UpperThreshold = entry.UpperThreshold, LowerThreshold = entry.LowerThreshold, Tunnel = entry.Tunnel, Live = r,
        };
    }

    private static LvsRealServerEntry FromCore(LvsRealServer r) => new()
    {
        Address = r.Address.ToString(),
        Port = r.Port,
        Forwarding = r.ForwardingMethod.ToString().ToLowerInvariant(),
        Weight = r.Weight,
        UpperThreshold = r.UpperThreshold,
        LowerThreshold = r.LowerThreshold,
        Tunnel = r.ForwardingMethod == ForwardingMethod.Tunnel
            ? new LvsTunnelEntry
            {
                Type = (r.TunnelType ?? TunnelType.IpIp).ToString().ToLowerInvariant(),
                Port = r.TunnelPort is { } p and not 0 ? p : null,
                Checksum = (r.TunnelChecksum ?? TunnelChecksum.None).ToString().ToLowerInvariant(),
            }
            : null,
    };

    /// <summary>The live real server this entry describes, in <paramref name="service"/>.</summary>
    public LvsRealServer ToRealServer(ServiceKey service)
    {
        if (!Enum.TryParse<ForwardingMethod>(Forwarding, ignoreCase: true, out var method) || !Enum.IsDefined(method))
            throw LvsException.Invalid("InvalidForwardingMethod", $"Real server {Address}: forwarding '{Forwarding}' is not route, masquerade, tunnel, local or bypass.", Forwarding);
        if (Port is < 0 or > ushort.MaxValue)
            throw LvsException.Invalid("InvalidPort", $"Real server {Address}: port {Port} is out of range.", Port);
        TunnelType? type = null;
        TunnelChecksum? csum = null;
        if (method == ForwardingMethod.Tunnel && Tunnel is not null)
        {
            type = Enum.TryParse<TunnelType>(Tunnel.Type, true, out var t) && Enum.IsDefined(t) ? t
                : throw LvsException.Invalid("InvalidTunnelType", $"Real server {Address}: tunnel type '{Tunnel.Type}' is not ipip, gue or gre.", Tunnel.Type);
            csum = Tunnel.Checksum is null ? null : Enum.TryParse<TunnelChecksum>(Tunnel.Checksum, true, out var c) && Enum.IsDefined(c) ? c
                : throw LvsException.Invalid("InvalidTunnelChecksum", $"Real server {Address}: tunnel checksum '{Tunnel.Checksum}' is not none, checksum or remotechecksum.", Tunnel.Checksum);
        }
        return new LvsRealServer
        {
            Service = service,
            Address = IPNetworkMath.ParseAddress(Address),
            Port = (ushort)Port,
            ForwardingMethod = method,
            Weight = Weight,
            UpperThreshold = UpperThreshold,
            LowerThreshold = LowerThreshold,
            TunnelType = type,
            TunnelPort = method == ForwardingMethod.Tunnel && Tunnel?.Port is { } p ? (ushort)p : null,
            TunnelChecksum = csum,
        };
    }
}

/// <summary>Tunnel options of a real server.</summary>
public sealed class LvsTunnelEntry
{
    /// <summary>ipip, gue or gre.</summary>
    public string Type { get; set; } = "ipip";
    public int? Port { get; set; }
    /// <summary>none, checksum or remotechecksum.</summary>
    public string? Checksum { get; set; }
}

/// <summary>Connection timeouts in seconds.</summary>
public sealed class LvsTimeoutsEntry
{
    public int Tcp { get; set; }
    public int TcpFin { get; set; }
    public int Udp { get; set; }

    public static LvsTimeoutsEntry From(LvsTimeouts t) => new()
    {
        Tcp = (int)t.Tcp.TotalSeconds,
        TcpFin = (int)t.TcpFin.TotalSeconds,
        Udp = (int)t.Udp.TotalSeconds,
    };

    public LvsTimeouts ToTimeouts() => new()
    {
        Tcp = TimeSpan.FromSeconds(Tcp),
        TcpFin = TimeSpan.FromSeconds(TcpFin),
        Udp = TimeSpan.FromSeconds(Udp),
    };
}

/// <summary>A sync daemon in a document.</summary>
public sealed class LvsSyncDaemonEntry
{
    /// <summary>master or backup.</summary>
    public string State { get; set; } = "master";
    public string MulticastInterface { get; set; } = "";
    public uint SyncId { get; set; }
    public int? SyncMaxLength { get; set; }
    public string? MulticastGroup { get; set; }
    public int? MulticastPort { get; set; }
    public int? MulticastTtl { get; set; }

    public static LvsSyncDaemonEntry From(LvsSyncDaemon d) => new()
    {
        State = d.State == SyncDaemonState.Backup ? "backup" : "master",
        MulticastInterface = d.MulticastInterface,
        SyncId = d.SyncId,
        SyncMaxLength = d.SyncMaxLength,
        MulticastGroup = d.MulticastGroup?.ToString(),
        MulticastPort = d.MulticastPort,
        MulticastTtl = d.MulticastTtl,
    };

    public LvsSyncDaemon ToSyncDaemon() => new()
    {
        State = State.ToLowerInvariant() switch
        {
            "master" => SyncDaemonState.Master,
            "backup" => SyncDaemonState.Backup,
            _ => throw LvsException.Invalid("InvalidSyncDaemonState", $"Sync daemon state '{State}' is not master or backup.", State),
        },
        MulticastInterface = MulticastInterface,
        SyncId = SyncId,
        SyncMaxLength = SyncMaxLength is { } l ? (ushort)l : null,
        MulticastGroup = MulticastGroup is null ? null : IPNetworkMath.ParseAddress(MulticastGroup),
        MulticastPort = MulticastPort is { } p ? (ushort)p : null,
        MulticastTtl = MulticastTtl is { } t ? (byte)t : null,
    };
}

/// <summary>A virtual IP alias in a document.</summary>
public sealed class LvsVirtualIpEntry
{
    public string InterfaceName { get; set; } = "";
    /// <summary>address/prefix.</summary>
    public string Address { get; set; } = "";
    public string? Label { get; set; }
    public string? Broadcast { get; set; }
}

/// <summary>A kernel parameter in a document.</summary>
public sealed class LvsSysctlEntry
{
    /// <summary>Dotted name.</summary>
    public string Name { get; set; } = "";
    public string Value { get; set; } = "";
}
