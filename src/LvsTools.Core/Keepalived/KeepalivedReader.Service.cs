using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Keepalived;

/// <summary>A service a `virtual_server` line or a `virtual_server_group` member names (an address and port, or a mark).</summary>
internal sealed record KeepalivedServiceKey(IPAddress? Address, int Port, uint? Mark, string? MarkFamily);

/// <summary>The checker settings a block passes down (keepalived: "the virtual server setting is the default for real servers,
/// and the real server setting is the default for checkers").</summary>
internal sealed record KeepalivedCheckDefaults(double? DelayLoop, double? ConnectTimeout, int? Retry, double? DelayBeforeRetry, string? VirtualHost);

internal sealed partial class KeepalivedReader
{
    /// <summary>The settings of one `virtual_server` block, read once for all the services its group names.</summary>
    private sealed class ServiceBlock
    {
        private readonly KeepalivedReader _r;
        private readonly KeepalivedNode _vs;
        private string _protocol = "udp", _scheduler = "wlc", _forwarding = "masquerade";
        private LvsTunnelEntry? _tunnel;
        private int? _timeout;
        private string? _granularity, _engine, _family;
        private bool _ops, _inhibit, _alpha;
        private readonly List<string> _flags = [];
        private int? _quorum, _hysteresis;
        private KeepalivedNode? _sorry, _sorryMethod;
        private KeepalivedCheckDefaults _defaults = new(null, null, null, null, null);
        private readonly List<KeepalivedNode> _reals = [];

        public ServiceBlock(KeepalivedReader reader, KeepalivedNode vs)
        {
            _r = reader;
            _vs = vs;
            foreach (var n in vs.Block!)
                Option(n);
        }

        private void Option(KeepalivedNode n)
        {
            switch (n.Keyword)
            {
                case "lvs_sched" or "lb_algo": _scheduler = IpvsValidationName(n); break;
                case "lvs_method" or "lb_kind": (_forwarding, _tunnel) = Method(n); break;
                case "protocol":
                    _protocol = Arg(n, 0).ToLowerInvariant() is "tcp" or "udp" or "sctp" ? n.Args[0].ToLowerInvariant() : throw Bad(n, $"'{n.Args[0]}' is not TCP, UDP or SCTP");
                    break;
                case "persistence_timeout": _timeout = n.Args.Count == 0 ? 360 : (int)Number(n, 0, 1, (long)IpvsValidation.MaxTimeout.TotalSeconds); break;
                case "persistence_granularity": _granularity = Arg(n, 0); break;
                case "persistence_engine": _engine = Arg(n, 0); break;
                case "ops": _ops = true; break;
                case "flag-1" or "flag-2" or "flag-3" or "sh-port" or "sh-fallback" or "mh-port" or "mh-fallback": _flags.Add(n.Keyword); break;
                case "ip_family":
                    _family = Arg(n, 0) is "inet" ? "ipv4" : n.Args[0] is "inet6" ? "ipv6" : throw Bad(n, $"'{n.Args[0]}' is not inet or inet6");
                    break;
                case "alpha": _alpha = Bool(n); break;
                case "inhibit_on_failure": _inhibit = Bool(n); break;
                case "quorum": _quorum = (int)Number(n, 0, 0, int.MaxValue); break;
                case "hysteresis": _hysteresis = (int)Number(n, 0, 0, int.MaxValue); break;
                case "sorry_server": _sorry = n; break;
                case "sorry_server_lvs_method": _sorryMethod = n; break;
                case "real_server": _reals.Add(n); break;
                default:
                    if (CheckDefault(n, _defaults) is { } d) _defaults = d;
                    else if (_r.IsDroppedServiceOption(n.Keyword)) _r.Drop(n, $"virtual_server {string.Join(" ", _vs.Args)}", "has no LvsTools equivalent and is left out");
                    else throw Unknown(n, "virtual_server");
                    break;
            }
        }

        private static string IpvsValidationName(KeepalivedNode n)
        {
            try { return IpvsValidation.Scheduler(Arg(n, 0).ToLowerInvariant(), ValidationLevel.Kernel); }
            catch (LvsException e) { throw Bad(n, e.Message.TrimEnd('.')); }
        }

        public LvsServiceEntry ToEntry(KeepalivedServiceKey key)
        {
            string family = key.Mark is not null
                ? key.MarkFamily ?? _family ?? (_reals.Any(r => Address(r, 0).AddressFamily == AddressFamily.InterNetworkV6) ? "ipv6" : "ipv4")
                : key.Address!.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
            var entry = new LvsServiceEntry
            {
                Protocol = key.Mark is null ? _protocol : null,
                Address = key.Address?.ToString(),
                Port = key.Mark is null ? key.Port : 0,
                FirewallMark = key.Mark,
                Family = family,
                Scheduler = _scheduler,
                SchedulerFlags = _flags.Count > 0 ? [.. _flags] : null,
                Persistence = _timeout is not null || _granularity is not null
                    ? new LvsPersistenceEntry { Enabled = _timeout is not null, Timeout = _timeout ?? 0, Netmask = _granularity }
                    : null,
                PersistenceEngine = _engine,
                OnePacket = _ops,
                RealServers = [],
            };
            if (_alpha) entry.Alpha = true;
            string where = $"virtual_server {string.Join(" ", _vs.Args)}";
            var inhibit = new List<bool>();
            foreach (var rs in _reals)
            {
                var (real, inhibited) = _r.RealServer(rs, entry, _forwarding, _tunnel, _defaults, _inhibit, where);
                entry.RealServers.Add(real);
                if (real.HealthCheck is not null) inhibit.Add(inhibited);
            }
            if (inhibit.Count > 0)
            {
                entry.OnFailureName = inhibit.All(i => i) ? "inhibit" : "remove";
                if (inhibit.Distinct().Count() > 1)
                    _r.Note($"{_vs.Where}: {where}: inhibit_on_failure differs between its real servers; LvsTools has one onFailure a service (remove is used).");
                HoistCheck(entry);
            }
            entry.Quorum = _quorum;
            entry.Hysteresis = _hysteresis;
            if (_sorry is not null)
            {
                var (fwd, _) = _sorryMethod is null ? (_forwarding, null) : Method(_sorryMethod);
                entry.SorryServer = new LvsSorryServerEntry
                {
                    Address = Address(_sorry, 0).ToString(),
                    Port = KeepalivedPort(fwd, _sorry.Args.Count > 1 ? (int)Number(_sorry, 1, 0, 65535) : 0, entry),
                    Forwarding = fwd,
                };
            }
            return entry;
        }

        /// <summary>
        /// The check most real servers share (all, or at least two) goes to the service, as a document writes it; a server
        /// without a checker then says so (type none), the others keep their own.
        /// </summary>
        private static void HoistCheck(LvsServiceEntry entry)
        {
            var reals = entry.RealServers!;
            string Key(LvsRealServerEntry r) => r.HealthCheck is null ? "" : System.Text.Json.JsonSerializer.Serialize(r.HealthCheck);
            var common = reals.Where(r => r.HealthCheck is not null).GroupBy(Key).OrderByDescending(g => g.Count()).FirstOrDefault();
            if (common is null || (common.Count() < 2 && common.Count() < reals.Count))
                return;
            entry.HealthCheck = common.First().HealthCheck;
            foreach (var r in reals)
                r.HealthCheck = r.HealthCheck is null ? new LvsHealthCheckEntry { Type = "none" } : Key(r) == common.Key ? null : r.HealthCheck;
        }
    }

    internal void Note(string message)
    {
        if (!_notes.Any(n => n.Message == message))
            _notes.Add(new KeepalivedNote(KeepalivedNoteKind.CannotExpress, message));
    }

    /// <summary>A `real_server` block; also whether a failed check inhibits it (weight 0) rather than removes it.</summary>
    private (LvsRealServerEntry Entry, bool Inhibit) RealServer(KeepalivedNode rs, LvsServiceEntry service, string forwarding, LvsTunnelEntry? tunnel,
        KeepalivedCheckDefaults defaults, bool inhibit, string serviceName)
    {
        var entry = new LvsRealServerEntry
        {
            Address = Address(rs, 0).ToString(),
            Port = rs.Args.Count > 1 ? (int)Number(rs, 1, 0, 65535) : service.Port,
            Forwarding = forwarding,
            Tunnel = tunnel,
        };
        string where = $"{serviceName}, real_server {string.Join(" ", rs.Args)}";
        var checkers = new List<KeepalivedNode>();
        foreach (var n in rs.Block ?? [])
        {
            switch (n.Keyword)
            {
                case "weight": entry.Weight = (int)Number(n, 0, 0, int.MaxValue); break;
                case "lvs_method" or "lb_kind": (entry.Forwarding, entry.Tunnel) = Method(n); break;
                case "uthreshold": entry.UpperThreshold = (uint)Number(n, 0, 0, int.MaxValue); break;
                case "lthreshold": entry.LowerThreshold = (uint)Number(n, 0, 0, int.MaxValue); break;
                case "inhibit_on_failure": inhibit = Bool(n); break;
                case "alpha":
                    if (Bool(n) != (service.Alpha == true)) Drop(n, where, "differs from the service's; LvsTools has one alpha a service");
                    break;
                case "notify_up" or "notify_down" or "snmp_name" or "smtp_alert" or "warmup": Drop(n, where, "has no LvsTools equivalent and is left out"); break;
                default:
                    if (CheckDefault(n, defaults) is { } d) defaults = d;
                    else if (CheckerTypes.Contains(n.Keyword)) checkers.Add(n);
                    else throw Unknown(n, "real_server");
                    break;
            }
        }
        if (entry.Forwarding != "tunnel") entry.Tunnel = null;
        entry.Port = KeepalivedPort(entry.Forwarding, rs.Args.Count > 1 ? entry.Port : 0, service);
        entry.HealthCheck = Check(checkers, defaults, entry, where);
        return (entry, inhibit);
    }

    /// <summary>
    /// The port keepalived gives a real or sorry server (check_data.c): NAT keeps its own (none: the service's, but 0 for a
    /// fwmark service); DR and TUN take the service's, which is 0 for a fwmark service.
    /// </summary>
    private static int KeepalivedPort(string forwarding, int given, LvsServiceEntry service) =>
        forwarding == "masquerade" ? given == 0 && service.FirewallMark is null ? service.Port : given
            : service.FirewallMark is null ? service.Port : 0;

    /// <summary>The checker settings a virtual_server, real_server or checker block may give; null for any other keyword.</summary>
    internal static KeepalivedCheckDefaults? CheckDefault(KeepalivedNode n, KeepalivedCheckDefaults d) => n.Keyword switch
    {
        "delay_loop" => d with { DelayLoop = Seconds(n) },
        "connect_timeout" => d with { ConnectTimeout = Seconds(n) },
        "retry" or "nb_get_retry" => d with { Retry = (int)Number(n, 0, 0, 1000) },
        "delay_before_retry" => d with { DelayBeforeRetry = Seconds(n, 0, 0) },
        "virtualhost" => d with { VirtualHost = Arg(n, 0) },
        _ => null,
    };
}
