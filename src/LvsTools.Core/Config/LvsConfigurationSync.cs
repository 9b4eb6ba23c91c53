using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

/// <summary>
/// Reads the kernel's configuration into a document, plans the changes that converge the kernel to a document
/// (one read, a diff of model records, only the needed creates, edits and deletes), and applies a plan in bulk.
/// The document is what is written; the plan compares the kernel's own objects (<see cref="LvsKernelState"/>) with
/// the objects the document describes.
/// </summary>
public static partial class LvsConfigurationSync
{
    /// <summary>The sysctls a director or real server depends on that -IncludeSysctl exports.</summary>
    public static readonly string[] DependentSysctlPatterns =
    [
        "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.vs.*",
        "net.ipv4.conf.*.arp_ignore", "net.ipv4.conf.*.arp_announce",
    ];

    /// <summary>
    /// Reads everything into a document: services with real servers, timeouts, sync daemons; with <paramref name="route"/>
    /// the addresses that carry a service's virtual IP; with <paramref name="sysctl"/> the dependent sysctls.
    /// Equivalent to: ipvsadm -S -n plus ipvsadm -L --timeout --daemon (and ip addr, sysctl).
    /// </summary>
    public static LvsConfigurationDocument Read(IpvsClient ipvs, RouteClient? route = null, SysctlStore? sysctl = null) =>
        LvsKernelState.Read(ipvs, route, sysctl).ToDocument();

    /// <summary>
    /// Reads the current state for planning: the kernel's objects as the dumps produced them, read once (no document
    /// is made of them). See <see cref="LvsKernelState.Read"/>.
    /// </summary>
    public static LvsKernelState ReadForPlan(IpvsClient ipvs, RouteClient? route = null, SysctlStore? sysctl = null) =>
        LvsKernelState.Read(ipvs, route, sysctl);

    /// <summary>Plans one document against another (the first as if a kernel held it); see the other overload.</summary>
    public static List<LvsPlanStep> Plan(LvsConfigurationDocument current, LvsConfigurationDocument desired, bool prune,
        RouteClient? route = null) => Plan(LvsKernelState.From(current), desired, prune, route);

    /// <summary>
    /// The steps that make <paramref name="current"/> into <paramref name="desired"/>. With <paramref name="prune"/>
    /// (Sync) services, real servers and sync daemons the document lacks are deleted; without it (Import) nothing is.
    /// A section the document leaves out (absent or null) is not managed and is left alone whatever
    /// <paramref name="prune"/> says: no services section, no change to any service; a service without a realServers
    /// list, no change to its real servers; an empty list means "none" (Sync deletes them all).
    /// Virtual IPs are only ever added, never removed (an address not in the document may be the host's own).
    /// Steps are ordered so that they can be sent as one batch: deletes of real servers, deletes of services,
    /// daemons stopped, timeouts, services created or changed, real servers created or changed, daemons started,
    /// then addresses and sysctls.
    /// </summary>
    public static List<LvsPlanStep> Plan(LvsKernelState current, LvsConfigurationDocument desired, bool prune, RouteClient? route = null) =>
        Plan(current, desired, prune, route, null);

    /// <summary>
    /// As the public overload, with the services and real servers a document check already built and checked
    /// (<see cref="LvsConfigurationValidator.Resolve"/>): they are compared as they are, not built and checked again.
    /// </summary>
    public static List<LvsPlanStep> Plan(LvsKernelState current, LvsConfigurationDocument desired, bool prune, RouteClient? route,
        LvsResolvedEntries? resolved)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(desired);
        var p = new PlanLists();
        if (current.Services.Count == 0 && desired.Services is { } all)
        {
            // An empty table: everything the document lists is created; the lists are made at their size once.
            p.Services.Capacity = all.Count;
            p.Reals.Capacity = desired.RealServerCount;
        }
        PlanServices(p, current, desired, prune, resolved);
        PlanTimeouts(p, current.Timeouts, desired.Timeouts);
        PlanDaemons(p, current.SyncDaemons, desired.SyncDaemons, prune);
        if (desired.VirtualIps is { } vips)
        {
            long before = route?.Connection.RequestsSent ?? 0;
            PlanVirtualIps(p, current.VirtualIps, vips, route);
            current.RequestsSent += (route?.Connection.RequestsSent ?? 0) - before;
        }
        if (desired.Sysctls is { } sysctls)
            PlanSysctls(p, current.Sysctls, sysctls);
        List<LvsPlanStep> plan = [.. p.DeletesRs, .. p.DeletesSvc, .. p.Stops, .. p.Config, .. p.Services, .. p.Reals, .. p.Starts, .. p.Others];
        // Everything is checked before anything is sent: a bad value stops the whole plan, naming the step.
        foreach (var step in plan)
        {
            if (step.Checked)
                continue;
            try
            {
                step.Ipvs?.Validate();
            }
            catch (LvsException e)
            {
                throw new LvsException(e.Kind, e.ErrorId, $"{step.Target} ({step.Operation}): {e.Message}", e.Target, e);
            }
        }
        return plan;
    }

    /// <summary>The steps of a plan by the batch position they take.</summary>
    private sealed class PlanLists
    {
        public readonly List<LvsPlanStep> DeletesRs = [], DeletesSvc = [], Stops = [], Config = [], Services = [], Reals = [], Starts = [], Others = [];
    }

    private static void PlanServices(PlanLists p, LvsKernelState current, LvsConfigurationDocument desired, bool prune,
        LvsResolvedEntries? resolved)
    {
        if (desired.Services is not { } wanted)
            return;
        var seen = new HashSet<ServiceKey>(wanted.Count);
        bool empty = current.Services.Count == 0;
        foreach (var entry in wanted)
        {
            // What the document check built and checked is taken as it is (checked: true); anything else is built here.
            var built = resolved?.Service(entry);
            bool svcChecked = built is not null;
            var want = built ?? entry.ToService();
            var key = want.Key;
            if (!seen.Add(key))
                throw LvsException.Invalid("DuplicateService", $"The document lists service {key} twice.", key.ToString());
            // No realServers list: this service's real servers are not managed (none added, none deleted).
            var reals = entry.RealServers ?? [];
            if (empty || !current.Services.TryGetValue(key, out var cur))
            {
                p.Services.Add(Step(LvsPlanAction.Create, LvsPlanObject.Service, new IpvsOperation.ServiceAdd(want) { Validation = ValidationLevel.Kernel }, null, svcChecked));
                foreach (var r in reals)
                {
                    var (server, rChecked) = WantedRealServer(r, key, resolved);
                    p.Reals.Add(Step(LvsPlanAction.Create, LvsPlanObject.RealServer, new IpvsOperation.RealServerAdd(server) { Validation = ValidationLevel.Kernel }, null, rChecked));
                }
                continue;
            }
            if (ServiceDifferences(cur.Service, want) is { } svcChanges)
                p.Services.Add(Step(LvsPlanAction.Update, LvsPlanObject.Service, IpvsOperation.EditService(want), svcChanges, svcChecked));
            // Real servers the document check built are unique by endpoint (it refuses a duplicate): then no set of the
            // wanted endpoints is made unless something is to be deleted (a no-op sync compares 40,000 without one).
            var wantKeys = AllBuiltBy(resolved, reals, key) ? null : new HashSet<(IPAddress, ushort)>();
            int matched = 0;
            foreach (var entryReal in reals)
            {
                var (r, rChecked) = WantedRealServer(entryReal, key, resolved);
                if (wantKeys is not null && !wantKeys.Add((r.Address, r.Port)))
                    throw LvsException.Invalid("DuplicateRealServer", $"The document lists real server {r.Endpoint} of {key} twice.", r.Endpoint);
                if (!cur.RealServers.TryGetValue((r.Address, r.Port), out var c))
                {
                    p.Reals.Add(Step(LvsPlanAction.Create, LvsPlanObject.RealServer, new IpvsOperation.RealServerAdd(r) { Validation = ValidationLevel.Kernel }, null, rChecked));
                    continue;
                }
                matched++;
                if (RealServerDifferences(c, r) is { } rsChanges)
                    p.Reals.Add(Step(LvsPlanAction.Update, LvsPlanObject.RealServer, IpvsOperation.EditRealServer(r), rsChanges, rChecked));
            }
            if (prune && entry.RealServers is not null && matched < cur.RealServers.Count)
                PlanRealServerDeletes(p, cur, reals, key, resolved, wantKeys);
        }
        if (prune)
            foreach (var key in current.Services.Keys.Where(k => !seen.Contains(k)))
                p.DeletesSvc.Add(Step(LvsPlanAction.Delete, LvsPlanObject.Service, IpvsOperation.DeleteService(key)));
    }

    /// <summary>Deletes the real servers of <paramref name="cur"/> that the entries do not list (a method of its own: the
    /// lambdas here would otherwise cost every service of a plan a closure object).</summary>
    private static void PlanRealServerDeletes(PlanLists p, LvsKernelService cur, List<LvsRealServerEntry> reals, ServiceKey key,
        LvsResolvedEntries? resolved, HashSet<(IPAddress, ushort)>? wantKeys)
    {
        wantKeys ??= reals.Select(r => WantedRealServer(r, key, resolved).Server).Select(r => (r.Address, r.Port)).ToHashSet();
        foreach (var c in cur.RealServers.Values.Where(c => !wantKeys.Contains((c.Address, c.Port))))
            p.DeletesRs.Add(Step(LvsPlanAction.Delete, LvsPlanObject.RealServer, IpvsOperation.DeleteRealServer(c)));
    }

    /// <summary>The real server an entry describes in service <paramref name="key"/>: the one the document check built
    /// (checked), or one built here (not checked).</summary>
    private static (LvsRealServer Server, bool Checked) WantedRealServer(LvsRealServerEntry entry, ServiceKey key, LvsResolvedEntries? resolved) =>
        resolved?.RealServer(entry) is { } rs && rs.Service == key ? (rs, true) : (entry.ToRealServer(key), false);

    /// <summary>Whether the document check built every one of the entries, for service <paramref name="key"/>.</summary>
    private static bool AllBuiltBy(LvsResolvedEntries? resolved, List<LvsRealServerEntry> reals, ServiceKey key)
    {
        if (resolved is null)
            return reals.Count == 0;
        foreach (var r in reals)
            if (resolved.RealServer(r) is not { } rs || rs.Service != key)
                return false;
        return true;
    }

    private static void PlanTimeouts(PlanLists p, LvsTimeouts? current, LvsTimeoutsEntry? desired)
    {
        // A timeout of 0 (or one left out of the timeouts object) means "unchanged", as in ipvsadm --set: it is no difference.
        static bool Differs(TimeSpan cur, int want) => want != 0 && (int)cur.TotalSeconds != want;
        if (desired is not { } t || (current is { } ct && !Differs(ct.Tcp, t.Tcp) && !Differs(ct.TcpFin, t.TcpFin) && !Differs(ct.Udp, t.Udp)))
            return;
        string changes = current is { } c
            ? $"tcp {(int)c.Tcp.TotalSeconds} -> {t.Tcp}; tcpfin {(int)c.TcpFin.TotalSeconds} -> {t.TcpFin}; udp {(int)c.Udp.TotalSeconds} -> {t.Udp}" : "";
        List<LvsPropertyDifference>? differences = null;
        if (current is { } k)
            foreach (var (name, cur, want) in new[] { ("tcp", k.Tcp, t.Tcp), ("tcpfin", k.TcpFin, t.TcpFin), ("udp", k.Udp, t.Udp) })
                if (Differs(cur, want))
                    (differences ??= []).Add(new(name, cur, TimeSpan.FromSeconds(want)));
        p.Config.Add(Step(LvsPlanAction.Update, LvsPlanObject.Timeouts, IpvsOperation.SetTimeouts(t.ToTimeouts()), changes, differences: differences));
    }

    private static void PlanDaemons(PlanLists p, IReadOnlyList<LvsSyncDaemon> current, List<LvsSyncDaemonEntry>? desired, bool prune)
    {
        if (desired is null)
            return;
        var have = current.ToDictionary(d => d.State);
        var wanted = desired.Select(d => d.ToSyncDaemon()).ToList();
        foreach (var want in wanted)
        {
            List<LvsPropertyDifference>? differences = null;
            if (have.TryGetValue(want.State, out var cd))
            {
                if ((differences = DaemonDifferences(cd, want)) is null)
                    continue;
                p.Stops.Add(Step(LvsPlanAction.Delete, LvsPlanObject.SyncDaemon, IpvsOperation.StopSyncDaemon(want.State), restart: true));
            }
            p.Starts.Add(Step(cd is null ? LvsPlanAction.Create : LvsPlanAction.Update, LvsPlanObject.SyncDaemon, IpvsOperation.StartSyncDaemon(want), differences));
        }
        if (prune)
            foreach (var cd in current.Where(c => wanted.All(d => d.State != c.State)))
                p.Stops.Add(Step(LvsPlanAction.Delete, LvsPlanObject.SyncDaemon, IpvsOperation.StopSyncDaemon(cd.State)));
    }

    // A document restores what some kernel held (keepalived, moby/ipvs and raw netlink clients write values ipvsadm
    // refuses): its operations are checked only against what the kernel itself refuses.
    // A step whose object the document check built was checked at this level already (checked: true).
    // A restart's stop (restart: true) is half of the daemon's update, not a removal.
    private static LvsPlanStep Step(LvsPlanAction action, LvsPlanObject obj, IpvsOperation op, string? changes = null, bool @checked = false,
        List<LvsPropertyDifference>? differences = null, bool restart = false) => new()
    {
        Action = action, Object = obj, Changes = changes, Checked = @checked,
        Ipvs = op.Validation == ValidationLevel.Kernel ? op : op with { Validation = ValidationLevel.Kernel },
        Differences = differences, Restart = restart,
    };

    private static LvsPlanStep Step(LvsPlanAction action, LvsPlanObject obj, IpvsOperation op, List<LvsPropertyDifference>? differences,
        bool @checked = false) =>
        Step(action, obj, op, LvsPropertyDifference.Join(differences), @checked, differences);
}
