using System.Globalization;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Keepalived;

/// <summary>
/// keepalived.conf statements (<see cref="KeepalivedSyntax"/>) into a document: each `virtual_server` (or each member of its
/// `virtual_server_group`) a service with its real servers, scheduler, flags, persistence, forwarding, thresholds, tunnel
/// options; checkers as schemaVersion 2 health checks (KeepalivedReader.Checks.cs). Defaults are keepalived 2.2.7's, as
/// `keepalived -t` reports them: protocol UDP, scheduler wlc, forwarding NAT, persistence_timeout 360, delay_loop 60.
/// </summary>
internal sealed partial class KeepalivedReader(List<string> syntaxNotes)
{
    /// <summary>Top-level blocks keepalived has and LvsTools does not read.</summary>
    private static readonly HashSet<string> SkippedTop =
    [
        "global_defs", "vrrp_instance", "vrrp_sync_group", "vrrp_script", "vrrp_track_process", "track_file", "vrrp_track_file",
        "garp_group", "static_ipaddress", "static_routes", "static_rules", "linkbeat_interfaces", "static_track_group",
        "bfd_instance", "SSL", "net_namespace", "net_namespace_ipvs", "instance", "use_pid_dir", "use_instance", "linkbeat_use_polling",
    ];

    /// <summary>virtual_server options LvsTools has no equivalent for (each a warning).</summary>
    private static readonly HashSet<string> DroppedService =
        ["ha_suspend", "omega", "quorum_up", "quorum_down", "sorry_server_inhibit", "warmup", "nat_mask"];

    /// <summary>Options that only label or notify (a verbose message).</summary>
    private static readonly HashSet<string> Cosmetic = ["snmp_name", "smtp_alert", "log_all_failures", "http_protocol", "fast_recovery"];

    private readonly List<KeepalivedNote> _notes = [];
    private readonly Dictionary<string, (KeepalivedNode Node, List<KeepalivedServiceKey> Members)> _groups = new(StringComparer.Ordinal);

    public KeepalivedReadResult Read(List<KeepalivedNode> top)
    {
        _notes.AddRange(syntaxNotes.Select(n => new KeepalivedNote(KeepalivedNoteKind.Skipped, n)));
        foreach (var g in top.Where(n => n.Keyword == "virtual_server_group"))
            _groups[Arg(g, 0)] = (g, GroupMembers(g));
        var services = new List<LvsServiceEntry>();
        var seen = new Dictionary<string, KeepalivedNode>();
        LvsTimeoutsEntry? timeouts = null;
        foreach (var node in top)
        {
            switch (node.Keyword)
            {
                case "virtual_server":
                    foreach (var s in Service(node))
                    {
                        if (seen.TryGetValue(s.SortKey, out var first))
                            throw LvsException.Invalid("KeepalivedDuplicateService",
                                $"{node.Where}: the service {Name(s)} is defined again (first at {first.Where}).", Name(s));
                        seen[s.SortKey] = node;
                        services.Add(s);
                    }
                    break;
                case "virtual_server_group":
                    break;
                case "global_defs":
                    timeouts = GlobalDefs(node) ?? timeouts;
                    break;
                default:
                    if (!SkippedTop.Contains(node.Keyword) && !node.Keyword.StartsWith("vrrp_", StringComparison.Ordinal))
                        throw Unknown(node, "the top level");
                    Skip(node, $"'{node.Keyword}' is not part of an IPVS table; LvsTools skips it");
                    break;
            }
        }
        bool v2 = services.Any(s => s.HealthCheck is not null || s.OnFailureName is not null || s.Quorum is not null
            || s.Hysteresis is not null || s.Alpha is not null || s.SorryServer is not null || s.RealServers!.Any(r => r.HealthCheck is not null));
        var doc = new LvsConfigurationDocument
        {
            SchemaVersion = v2 ? LvsConfigurationDocument.CurrentSchemaVersion : LvsConfigurationDocument.ExportSchemaVersion,
            Generator = "LvsTools ConvertFrom-KeepalivedConfig",
            Services = services,
            Timeouts = timeouts,
        };
        doc.Canonicalize();
        return new KeepalivedReadResult(doc, _notes);
    }

    /// <summary>global_defs: its `lvs_timeouts` are the document's timeouts (0: left as they are, as keepalived leaves them);
    /// the rest is not part of an IPVS table.</summary>
    private LvsTimeoutsEntry? GlobalDefs(KeepalivedNode g)
    {
        LvsTimeoutsEntry? result = null;
        foreach (var n in g.Block ?? [])
        {
            if (n.Keyword != "lvs_timeouts")
            {
                if (n.Keyword == "lvs_sync_daemon")
                    Drop(n, "global_defs", "runs the sync daemon by a VRRP instance's state, which a document does not hold; use Start-LvsSyncDaemon");
                continue;
            }
            result = new LvsTimeoutsEntry();
            for (int i = 0; i < n.Args.Count; i += 2)
            {
                int v = (int)Number(n, i + 1, 1, (long)IpvsValidation.MaxTimeout.TotalSeconds);
                switch (n.Args[i])
                {
                    case "tcp": result.Tcp = v; break;
                    case "tcpfin": result.TcpFin = v; break;
                    case "udp": result.Udp = v; break;
                    default: throw Bad(n, $"'{n.Args[i]}' is not tcp, tcpfin or udp");
                }
            }
        }
        Skip(g, "'global_defs' is not part of an IPVS table; LvsTools skips it" + (result is null ? "" : " but for its lvs_timeouts"));
        return result;
    }

    private static string Name(LvsServiceEntry s) => s.FirewallMark is { } m ? $"fwmark {m} ({s.Family})"
        : $"{s.Protocol?.ToUpperInvariant()} {IpvsadmSyntax.FormatEndpoint(IPNetworkMath.ParseAddress(s.Address!), (ushort)s.Port)}";

    /// <summary>The services of one `virtual_server` block: one, or one per member of its group.</summary>
    private List<LvsServiceEntry> Service(KeepalivedNode vs)
    {
        if (vs.Block is null)
            throw KeepalivedSyntax.Syntax(vs.File, vs.Line, "virtual_server needs a block ({ ... })");
        List<KeepalivedServiceKey> keys;
        if (Arg(vs, 0) == "group")
        {
            string name = Arg(vs, 1);
            keys = _groups.TryGetValue(name, out var g) ? g.Members
                : throw LvsException.Invalid("KeepalivedUnknownGroup", $"{vs.Where}: virtual_server group '{name}': no virtual_server_group of that name.", name);
        }
        else if (Arg(vs, 0) == "fwmark")
        {
            keys = [new KeepalivedServiceKey(null, 0, (uint)Number(vs, 1, 1, uint.MaxValue), null)];
        }
        else
        {
            var address = Address(vs, 0);
            keys = [new KeepalivedServiceKey(address, vs.Args.Count > 1 ? (int)Number(vs, 1, 0, 65535) : 0, null, null)];
        }
        var settings = new ServiceBlock(this, vs);
        var result = new List<LvsServiceEntry>();
        foreach (var key in keys)
        {
            var entry = settings.ToEntry(key);
            var check = new LvsConfigurationDocument { SchemaVersion = LvsConfigurationDocument.CurrentSchemaVersion, Services = [entry] };
            if (LvsConfigurationValidator.Check(check) is { Count: > 0 } errors)
                throw LvsException.Invalid("KeepalivedInvalidValue", $"{vs.Where}: virtual_server {string.Join(" ", vs.Args)}: " +
                    string.Join(" ", errors.Select(e => e.Message.Replace("$.services[0]", "this service", StringComparison.Ordinal))), string.Join(" ", vs.Args));
            result.Add(entry);
        }
        return result;
    }

    // ---- values ----

    internal static string Arg(KeepalivedNode n, int i) => i < n.Args.Count ? n.Args[i]
        : throw LvsException.Invalid("KeepalivedInvalidValue", $"{n.Where}: '{n.Keyword}' needs {(i == 0 ? "a value" : $"{i + 1} values")}.", n.Keyword);

    internal static long Number(KeepalivedNode n, int i, long min, long max)
    {
        string text = Arg(n, i);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
            throw LvsException.Invalid("KeepalivedInvalidValue", $"{n.Where}: {n.Keyword}: '{text}' is not a whole number.", text);
        return v >= min && v <= max ? v
            : throw LvsException.Invalid("KeepalivedValueOutOfRange", $"{n.Where}: {n.Keyword} {text} is out of range: {min} to {max}.", v);
    }

    /// <summary>A keepalived TIMER: seconds, fractions allowed (0.001 to one day, the document's range).</summary>
    internal static double Seconds(KeepalivedNode n, int i = 0, double min = LvsHealthCheckEntry.MinSeconds)
    {
        string text = Arg(n, i);
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v))
            throw LvsException.Invalid("KeepalivedInvalidValue", $"{n.Where}: {n.Keyword}: '{text}' is not a number of seconds.", text);
        return v >= min && v <= LvsHealthCheckEntry.MaxSeconds ? v
            : throw LvsException.Invalid("KeepalivedValueOutOfRange",
                $"{n.Where}: {n.Keyword} {text} is out of range: {min.ToString(CultureInfo.InvariantCulture)} to {LvsHealthCheckEntry.MaxSeconds} seconds.", v);
    }

    internal static System.Net.IPAddress Address(KeepalivedNode n, int i)
    {
        string text = Arg(n, i);
        try { return IPNetworkMath.ParseAddress(text); }
        catch (LvsException e) { throw LvsException.Invalid("KeepalivedInvalidValue", $"{n.Where}: {n.Keyword}: {e.Message}", text); }
    }

    /// <summary>A BOOL of keepalived (on|off|true|false|yes|no); no value is true.</summary>
    internal static bool Bool(KeepalivedNode n) => n.Args.Count == 0 || n.Args[0].ToLowerInvariant() switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw LvsException.Invalid("KeepalivedInvalidValue", $"{n.Where}: {n.Keyword}: '{n.Args[0]}' is not on, off, true, false, yes or no.", n.Args[0]),
    };

    /// <summary>`lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` as a forwarding name and tunnel.</summary>
    internal static (string Forwarding, LvsTunnelEntry? Tunnel) Method(KeepalivedNode n)
    {
        string kind = Arg(n, 0).ToUpperInvariant();
        if (kind is "NAT" or "DR")
        {
            if (n.Args.Count > 1) throw Bad(n, $"'{n.Args[1]}' follows {kind}; only TUN takes options");
            return (kind == "NAT" ? "masquerade" : "route", null);
        }
        if (kind != "TUN")
            throw Bad(n, $"'{n.Args[0]}' is not NAT, DR or TUN");
        var tunnel = new LvsTunnelEntry { Type = "ipip" };
        for (int i = 1; i < n.Args.Count; i++)
        {
            switch (n.Args[i].ToLowerInvariant())
            {
                case "type":
                    tunnel.Type = Arg(n, ++i).ToLowerInvariant() is "ipip" or "gue" or "gre" ? n.Args[i].ToLowerInvariant() : throw Bad(n, $"tunnel type '{n.Args[i]}' is not ipip, gue or gre");
                    break;
                case "port": tunnel.Port = (int)Number(n, ++i, 1, 65535); break;
                case "nocsum": tunnel.Checksum = "none"; break;
                case "csum": tunnel.Checksum = "checksum"; break;
                case "remcsum": tunnel.Checksum = "remotechecksum"; break;
                default: throw Bad(n, $"'{n.Args[i]}' is not a tunnel option (type, port, nocsum, csum, remcsum)");
            }
        }
        if (tunnel.Type == "gue" && tunnel.Port is null)
            throw Bad(n, "a gue tunnel needs 'port N'");
        return ("tunnel", tunnel);
    }

    internal static LvsException Bad(KeepalivedNode n, string why) =>
        LvsException.Invalid("KeepalivedInvalidValue", $"{n.Where}: {n.Keyword}: {why}.", string.Join(" ", n.Args));

    internal static LvsException Unknown(KeepalivedNode n, string block) =>
        LvsException.Invalid("KeepalivedUnknownKeyword", $"{n.Where}: unknown keyword '{n.Keyword}' in {block} (keepalived 2.2.7 has no such option there).", n.Keyword);

    /// <summary>A note for an option or block left out: a warning when it changes behaviour, verbose when it only labels.</summary>
    internal void Drop(KeepalivedNode n, string where, string why) =>
        _notes.Add(new KeepalivedNote(Cosmetic.Contains(n.Keyword) ? KeepalivedNoteKind.Skipped : KeepalivedNoteKind.CannotExpress,
            $"{n.Where}: {where}: '{n.Keyword}' {why}."));

    private void Skip(KeepalivedNode n, string why) => _notes.Add(new KeepalivedNote(KeepalivedNoteKind.Skipped, $"{n.Where}: {why}."));

    internal bool IsDroppedServiceOption(string keyword) => DroppedService.Contains(keyword) || Cosmetic.Contains(keyword);

    internal bool IsCosmetic(string keyword) => Cosmetic.Contains(keyword);
}
