using System.Globalization;
using System.Net;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Keepalived;

/// <summary>
/// A document as keepalived.conf for Debian's keepalived 2.2.7: `lvs_sched`, `lvs_method` (with its tunnel options),
/// `protocol`, `persistence_*`, `ops` and the scheduler flags per service; `weight`, `uthreshold`, `lthreshold` per real
/// server; the document's health checks as checkers (KeepalivedWriter.Checks.cs); timeouts as global_defs' `lvs_timeouts`;
/// optionally a `vrrp_instance` for the VIPs. What keepalived cannot express is a note and a comment line where it applies.
/// Only keywords that `keepalived -t` of 2.2.7 accepts are written.
/// </summary>
internal sealed partial class KeepalivedWriter(LvsConfigurationDocument doc, KeepalivedVrrpOptions? vrrp)
{
    private readonly List<string> _lines = [];
    private readonly List<KeepalivedNote> _notes = [];
    private List<string> _pending = [];

    public KeepalivedWriteResult Write()
    {
        CheckVrrp();
        LvsConfigurationValidator.Validate(doc);
        doc.Canonicalize();
        _lines.Add($"# keepalived.conf written by LvsTools ConvertTo-KeepalivedConfig from a schemaVersion {doc.SchemaVersion} document.");
        if (doc.Timeouts is { } t && (t.Tcp > 0 || t.TcpFin > 0 || t.Udp > 0))
        {
            var parts = new List<string>();
            if (t.Tcp > 0) parts.Add($"tcp {t.Tcp}");
            if (t.TcpFin > 0) parts.Add($"tcpfin {t.TcpFin}");
            if (t.Udp > 0) parts.Add($"udp {t.Udp}");
            _lines.AddRange(["global_defs {", "    lvs_timeouts " + string.Join(" ", parts), "}"]);
        }
        if (doc.SyncDaemons is { Count: > 0 })
            Cannot("syncDaemons", "the document", "keepalived starts the sync daemon by a VRRP instance's state (lvs_sync_daemon in global_defs); start it with Start-LvsSyncDaemon");
        if (doc.Sysctls is { Count: > 0 })
            Cannot("sysctls", "the document", "keepalived sets no kernel parameters; apply them with Import-LvsConfiguration or Set-Sysctl");
        if (doc.VirtualIps is { Count: > 0 } && vrrp is null)
            Cannot("virtualIps", "the document", "written only as a vrrp_instance (give -VrrpInterface)");
        Flush();
        if (vrrp is not null)
            VrrpInstance(vrrp);
        foreach (var s in doc.Services ?? [])
            Service(s);
        return new KeepalivedWriteResult(_lines, _notes);
    }

    private void CheckVrrp()
    {
        if (vrrp is null) return;
        if (string.IsNullOrWhiteSpace(vrrp.Interface) || vrrp.Interface.Any(c => c <= ' ' || c is '#' or '!' or '{' or '}' or '"' or '\''))
            throw LvsException.Invalid("InvalidVrrpOption", $"'{vrrp.Interface}' is not an interface name for the vrrp_instance.", vrrp.Interface);
        if (vrrp.VirtualRouterId is < 1 or > 255)
            throw LvsException.Invalid("InvalidVrrpOption", $"Virtual router id {vrrp.VirtualRouterId} is out of range: 1 to 255.", vrrp.VirtualRouterId);
        if (vrrp.Priority is < 1 or > 254)
            throw LvsException.Invalid("InvalidVrrpOption", $"Priority {vrrp.Priority} is out of range: 1 to 254 (255 is the address owner's).", vrrp.Priority);
        if (vrrp.State.ToUpperInvariant() is not ("MASTER" or "BACKUP"))
            throw LvsException.Invalid("InvalidVrrpOption", $"State '{vrrp.State}' is not MASTER or BACKUP.", vrrp.State);
    }

    private void VrrpInstance(KeepalivedVrrpOptions v)
    {
        var vips = doc.VirtualIps is { Count: > 0 } list
            ? list.Select(e => (Text: e.Address, Family: IPNetworkMath.Parse(e.Address).Address.AddressFamily,
                Extra: (e.InterfaceName.Length > 0 && e.InterfaceName != v.Interface ? $" dev {e.InterfaceName}" : "")
                    + (e.Broadcast is { } b ? $" brd {b}" : "") + (e.Label is { } l ? $" label {l}" : "")))
            : (doc.Services ?? []).Where(s => s.Address is not null).Select(s => IPNetworkMath.ParseAddress(s.Address!)).Distinct()
                .Select(a => (Text: $"{a}/{IPNetworkMath.MaxPrefix(a.AddressFamily)}", Family: a.AddressFamily, Extra: ""));
        var all = vips.DistinctBy(x => x.Text).ToList();
        var first = all.Count > 0 ? all[0].Family : System.Net.Sockets.AddressFamily.InterNetwork;
        _lines.Add($"vrrp_instance LVSTOOLS_{v.VirtualRouterId} {{");
        _lines.Add($"    state {v.State.ToUpperInvariant()}");
        _lines.Add($"    interface {v.Interface}");
        _lines.Add($"    virtual_router_id {v.VirtualRouterId}");
        _lines.Add($"    priority {v.Priority}");
        _lines.Add("    advert_int 1");
        Addresses("virtual_ipaddress", all.Where(x => x.Family == first).Select(x => x.Text + x.Extra));
        Addresses("virtual_ipaddress_excluded", all.Where(x => x.Family != first).Select(x => x.Text + x.Extra));
        _lines.Add("}");
    }

    private void Addresses(string block, IEnumerable<string> items)
    {
        var list = items.ToList();
        if (list.Count == 0) return;
        _lines.Add($"    {block} {{");
        _lines.AddRange(list.Select(i => "        " + i));
        _lines.Add("    }");
    }

    private void Service(LvsServiceEntry s)
    {
        var svc = s.ToService();
        string name = s.FirewallMark is { } m ? $"fwmark {m}" : $"{s.Address} {s.Port}".TrimEnd();
        string shown = s.FirewallMark is not null ? $"fwmark {s.FirewallMark} ({s.Family})" : $"{s.Protocol!.ToUpperInvariant()} {IpvsadmSyntax.FormatEndpoint(svc.Address, svc.Port)}";
        var body = new List<string>
        {
            "    lvs_sched " + s.Scheduler,
        };
        body.AddRange(IpvsadmSyntax.FormatSchedulerFlags(svc.Scheduler, svc.Flags).Select(f => "    " + f));
        var reals = s.RealServers ?? [];
        string method = reals.Count > 0 ? Method(reals[0], shown) ?? "NAT" : "NAT";
        body.Add("    lvs_method " + method);
        if (s.FirewallMark is null) body.Add("    protocol " + s.Protocol!.ToUpperInvariant());
        else if (svc.AddressFamily == IPFamily.IPv6) body.Add("    ip_family inet6");
        if (svc.Persistent) body.Add("    persistence_timeout " + (int)svc.PersistenceTimeout.TotalSeconds);
        if (svc.PersistenceNetmask != IpvsadmSyntax.DefaultNetmask(svc.AddressFamily))
        {
            if (svc.Persistent) body.Add("    persistence_granularity " + IpvsadmSyntax.FormatNetmask(svc.AddressFamily, svc.PersistenceNetmask));
            else Cannot("persistence.netmask", shown, "a netmask without persistence is not written (keepalived's persistence_granularity needs persistence_timeout)");
        }
        if (!string.IsNullOrEmpty(svc.PersistenceEngine)) body.Add("    persistence_engine " + svc.PersistenceEngine);
        if (svc.OnePacket) body.Add("    ops");
        bool checks = reals.Any(r => s.HealthCheckFor(r).Type != HealthCheckType.None);
        if (s.Alpha == true) body.Add("    alpha");
        if (s.Quorum is { } q) body.Add("    quorum " + q);
        if (s.Hysteresis is { } h) body.Add("    hysteresis " + h);
        if (checks && s.OnFailure == LvsFailureAction.Inhibit) body.Add("    inhibit_on_failure");
        if (s.SorryServer is { } sorry)
        {
            var rs = s.SorryServerFor(svc.Key)!;
            body.Add($"    sorry_server {rs.Address}{(rs.Port == 0 ? "" : " " + rs.Port)}");
            var sorryMethod = Method(new LvsRealServerEntry { Address = sorry.Address, Port = sorry.Port, Forwarding = sorry.Forwarding }, shown);
            if (sorryMethod is not null && sorryMethod != method) body.Add("    sorry_server_lvs_method " + sorryMethod);
        }
        if (s.DrainTimeoutSeconds is not null)
            Cannot("drainTimeout", shown, "keepalived removes a real server at once; it has no drain");
        foreach (var r in reals)
            RealServer(s, svc, r, method, shown, body);
        Flush();
        _lines.Add($"virtual_server {name} {{");
        _lines.AddRange(body);
        _lines.Add("}");
    }

    private void RealServer(LvsServiceEntry s, LvsService svc, LvsRealServerEntry r, string serviceMethod, string shown, List<string> body)
    {
        string who = $"{shown}, real server {IpvsadmSyntax.FormatEndpoint(IPNetworkMath.ParseAddress(r.Address), (ushort)r.Port)}";
        var method = Method(r, who);
        if (method is null)
            return;
        var live = r.ToRealServer(svc.Key);
        if (method != "NAT" && live.Port != svc.Port)
            Cannot($"port {live.Port}", who, $"keepalived gives a {method.Split(' ')[0]} real server the service's port ({svc.Port})");
        body.Add($"    real_server {live.Address}{(live.Port == 0 ? "" : " " + live.Port)} {{");
        body.Add("        weight " + live.Weight);
        if (r.Maintenance == true)
            Cannot("maintenance", who, $"keepalived has no maintenance; written as weight 0 (the document's weight {r.Weight} is not kept)");
        if (method != serviceMethod) body.Add("        lvs_method " + method);
        if (live.UpperThreshold > 0) body.Add("        uthreshold " + live.UpperThreshold);
        if (live.LowerThreshold > 0) body.Add("        lthreshold " + live.LowerThreshold);
        var check = s.HealthCheckFor(r);
        if (check.Type != HealthCheckType.None)
            Checker(check, live, who, body);
        body.Add("    }");
    }

    /// <summary>A real server's forwarding as lvs_method's words; null (and a note) for bypass, which keepalived has not.</summary>
    private string? Method(LvsRealServerEntry r, string who)
    {
        switch (r.Forwarding.ToLowerInvariant())
        {
            case "masquerade": return "NAT";
            case "route": return "DR";
            case "local":
                Cannot("forwarding local", who, "keepalived has no local method; written as DR, which the kernel makes Local for an address of this host");
                return "DR";
            case "tunnel":
                var t = r.Tunnel ?? new LvsTunnelEntry();
                string type = t.Type.ToLowerInvariant();
                string text = "TUN type " + type + (type == "gue" && t.Port is { } p ? $" port {p}" : "");
                if (type != "ipip" && t.Checksum is { } c)
                    text += c.ToLowerInvariant() switch { "checksum" => " csum", "remotechecksum" => " remcsum", _ => " nocsum" };
                return text;
            default:
                Cannot($"forwarding {r.Forwarding}", who, "keepalived has no such method; the real server is not written");
                return null;
        }
    }

    /// <summary>A note, and a comment line before the block it concerns.</summary>
    private void Cannot(string option, string where, string why)
    {
        string message = $"{where}: '{option}' cannot be expressed in keepalived.conf: {why}.";
        if (_notes.Any(n => n.Message == message))
            return;
        _notes.Add(new KeepalivedNote(KeepalivedNoteKind.CannotExpress, message));
        _pending.Add("# LvsTools: " + message);
    }

    private void Flush()
    {
        _lines.AddRange(_pending);
        _pending = [];
    }

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>A word as keepalived reads it back: bare when it can be, else in "…" with \ and " escaped and control characters
    /// as three-digit octal escapes (a hex escape would swallow the hex digits after it).</summary>
    internal static string Quote(string word)
    {
        if (word.Length > 0 && !word.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '#' or '!' or '{' or '}' or '\\'))
            return word;
        var sb = new System.Text.StringBuilder("\"");
        foreach (char c in word)
        {
            if (c is '"' or '\\') sb.Append('\\').Append(c);
            else if (char.IsControl(c) && c < 0x100) sb.Append('\\').Append(Convert.ToString(c, 8).PadLeft(3, '0'));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
