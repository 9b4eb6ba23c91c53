using System.Diagnostics;
using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

/// <summary>
/// Reads the kernel's configuration into a document, plans the changes that converge the kernel to a document
/// (one dump, a diff, only the needed creates, edits and deletes), and applies a plan in bulk.
/// </summary>
public static class LvsConfigurationSync
{
    /// <summary>The sysctls a director or real server depends on that -IncludeSysctl exports.</summary>
    public static readonly string[] DependentSysctlPatterns =
    [
        "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.vs.*",
        "net.ipv4.conf.*.arp_ignore", "net.ipv4.conf.*.arp_announce",
    ];

    /// <summary>
    /// Reads everything: services with real servers, timeouts, sync daemons; with <paramref name="route"/> the
    /// addresses that carry a service's virtual IP; with <paramref name="sysctl"/> the dependent sysctls.
    /// Equivalent to: ipvsadm -S -n plus ipvsadm -L --timeout --daemon (and ip addr, sysctl).
    /// </summary>
    public static LvsConfigurationDocument Read(IpvsClient ipvs, RouteClient? route = null, SysctlStore? sysctl = null)
    {
        var services = ipvs.GetServices();
        var realServers = ipvs.GetAllRealServers(services);
        var doc = LvsConfigurationDocument.From(services, realServers, ipvs.GetTimeouts(), ipvs.GetSyncDaemons());
        if (route is not null)
        {
            var vips = services.Where(s => s.Address is not null).Select(s => s.Address!).ToHashSet();
            doc.VirtualIps = route.GetAddresses()
                .Where(a => vips.Contains(a.IPAddress))
                .Select(a => new LvsVirtualIpEntry
                {
                    InterfaceName = a.InterfaceName,
                    Address = a.Cidr,
                    Label = a.AddressFamily == IPFamily.IPv4 && a.Label != a.InterfaceName ? a.Label : null,
                    Broadcast = a.Broadcast?.ToString(),
                })
                .ToList();
        }
        if (sysctl is not null)
        {
            doc.Sysctls = DependentSysctlPatterns
                .SelectMany(p => sysctl.Find(SysctlName.Parse(p, allowWildcards: true)))
                .Where(e => !e.Name.Contains(".conf.default.", StringComparison.Ordinal))
                .DistinctBy(e => e.Name)
                .Select(e => new LvsSysctlEntry { Name = e.Name, Value = e.Value })
                .ToList();
        }
        doc.Canonicalize();
        return doc;
    }

    /// <summary>
    /// Reads the current state for planning only: like <see cref="Read"/>, but the services and real servers stay the
    /// objects the kernel dump produced (no document text is made of them, nothing is sorted), which is what a sync of
    /// an unchanged table spends its time on otherwise.
    /// </summary>
    public static LvsConfigurationDocument ReadForPlan(IpvsClient ipvs, RouteClient? route = null, SysctlStore? sysctl = null)
    {
        var services = ipvs.GetServices();
        var byService = ipvs.GetAllRealServers(services).GroupBy(r => r.Service).ToDictionary(g => g.Key, g => g.ToList());
        var doc = new LvsConfigurationDocument
        {
            Timeouts = LvsTimeoutsEntry.From(ipvs.GetTimeouts()),
            SyncDaemons = ipvs.GetSyncDaemons().Select(LvsSyncDaemonEntry.From).ToList(),
            Services = services.Select(s => LvsServiceEntry.ForPlanning(s, byService.TryGetValue(s.Key, out var rs) ? rs : [])).ToList(),
        };
        if (route is not null || sysctl is not null)
        {
            var full = Read(ipvs, route, sysctl);
            doc.VirtualIps = full.VirtualIps;
            doc.Sysctls = full.Sysctls;
        }
        return doc;
    }

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
    public static List<LvsPlanStep> Plan(LvsConfigurationDocument current, LvsConfigurationDocument desired, bool prune,
        RouteClient? route = null)
    {
        var deletesRs = new List<LvsPlanStep>();
        var deletesSvc = new List<LvsPlanStep>();
        var stops = new List<LvsPlanStep>();
        var config = new List<LvsPlanStep>();
        var services = new List<LvsPlanStep>();
        var reals = new List<LvsPlanStep>();
        var starts = new List<LvsPlanStep>();
        var others = new List<LvsPlanStep>();

        var have = (current.Services ?? []).Select(e => (Entry: e, Service: e.Live ?? e.ToService())).ToDictionary(x => x.Service.Key);
        var seen = new HashSet<ServiceKey>();
        foreach (var entry in desired.Services ?? [])
        {
            var want = entry.ToService();
            var key = want.Key;
            if (!seen.Add(key))
                throw LvsException.Invalid("DuplicateService", $"The document lists service {key} twice.", key.ToString());
            // No realServers list: this service's real servers are not managed (none added, none deleted).
            bool realsManaged = entry.RealServers is not null;
            var wantReals = (entry.RealServers ?? []).Select(r => r.ToRealServer(key)).ToList();
            if (!have.TryGetValue(key, out var cur))
            {
                services.Add(Step(LvsPlanAction.Create, LvsPlanObject.Service, IpvsOperation.AddService(want)));
                reals.AddRange(wantReals.Select(r => Step(LvsPlanAction.Create, LvsPlanObject.RealServer, IpvsOperation.AddRealServer(r))));
                continue;
            }
            if (ServiceChanges(cur.Service, want) is { } svcChanges)
                services.Add(Step(LvsPlanAction.Update, LvsPlanObject.Service, IpvsOperation.EditService(want), svcChanges));
            var curReals = (cur.Entry.RealServers ?? []).Select(r => r.Live ?? r.ToRealServer(key)).ToDictionary(r => (r.Address, r.Port));
            var wantKeys = new HashSet<(IPAddress, ushort)>();
            foreach (var r in wantReals)
            {
                if (!wantKeys.Add((r.Address, r.Port)))
                    throw LvsException.Invalid("DuplicateRealServer", $"The document lists real server {r.Endpoint} of {key} twice.", r.Endpoint);
                if (!curReals.TryGetValue((r.Address, r.Port), out var c))
                    reals.Add(Step(LvsPlanAction.Create, LvsPlanObject.RealServer, IpvsOperation.AddRealServer(r)));
                else if (RealServerChanges(c, r) is { } rsChanges)
                    reals.Add(Step(LvsPlanAction.Update, LvsPlanObject.RealServer, IpvsOperation.EditRealServer(r), rsChanges));
            }
            if (prune && realsManaged)
                foreach (var c in curReals.Values.Where(c => !wantKeys.Contains((c.Address, c.Port))))
                    deletesRs.Add(Step(LvsPlanAction.Delete, LvsPlanObject.RealServer, IpvsOperation.DeleteRealServer(c)));
        }
        if (prune && desired.Services is not null)
            foreach (var (key, _) in have.Where(h => !seen.Contains(h.Key)))
                deletesSvc.Add(Step(LvsPlanAction.Delete, LvsPlanObject.Service, IpvsOperation.DeleteService(key)));

        // A timeout of 0 (or one left out of the timeouts object) means "unchanged", as in ipvsadm --set: it is no difference.
        static bool Differs(int cur, int want) => want != 0 && cur != want;
        if (desired.Timeouts is { } t && (current.Timeouts is not { } ct || Differs(ct.Tcp, t.Tcp) || Differs(ct.TcpFin, t.TcpFin) || Differs(ct.Udp, t.Udp)))
        {
            string changes = current.Timeouts is { } c
                ? $"tcp {c.Tcp} -> {t.Tcp}; tcpfin {c.TcpFin} -> {t.TcpFin}; udp {c.Udp} -> {t.Udp}" : "";
            config.Add(Step(LvsPlanAction.Update, LvsPlanObject.Timeouts, IpvsOperation.SetTimeouts(t.ToTimeouts()), changes));
        }

        var curDaemons = (current.SyncDaemons ?? []).ToDictionary(d => d.State);
        foreach (var d in desired.SyncDaemons ?? [])
        {
            var want = d.ToSyncDaemon();
            if (curDaemons.TryGetValue(d.State, out var cd))
            {
                if (SameDaemon(cd, d))
                    continue;
                stops.Add(Step(LvsPlanAction.Delete, LvsPlanObject.SyncDaemon, IpvsOperation.StopSyncDaemon(want.State)));
            }
            starts.Add(Step(cd is null ? LvsPlanAction.Create : LvsPlanAction.Update, LvsPlanObject.SyncDaemon, IpvsOperation.StartSyncDaemon(want)));
        }
        if (prune && desired.SyncDaemons is { } wanted)
            foreach (var cd in (current.SyncDaemons ?? []).Where(c => wanted.All(d => d.State != c.State)))
                stops.Add(Step(LvsPlanAction.Delete, LvsPlanObject.SyncDaemon, IpvsOperation.StopSyncDaemon(cd.ToSyncDaemon().State)));

        if (desired.VirtualIps is { } vips)
        {
            var existing = (current.VirtualIps ?? []).Select(v => (v.InterfaceName, v.Address)).ToHashSet();
            // One context for the whole document: an automatic label planned for one address counts as taken for the next.
            var labels = route is null ? null : new VirtualIpPlanContext(route);
            foreach (var v in vips.Where(v => !existing.Contains((v.InterfaceName, v.Address))))
            {
                if (route is null)
                    throw new InvalidOperationException("planning virtual IPs needs a route client");
                var request = VirtualIpPlanner.Plan(labels!, new VirtualIpSpec
                {
                    InterfaceName = v.InterfaceName, Address = v.Address, Label = v.Label, Broadcast = v.Broadcast,
                });
                others.Add(new LvsPlanStep
                {
                    Action = LvsPlanAction.Create, Object = LvsPlanObject.VirtualIp, Target = $"{v.Address} on {v.InterfaceName}",
                    Operation = request.Describe("add"), Address = request,
                });
            }
        }
        if (desired.Sysctls is { } sysctls)
        {
            var currentValues = (current.Sysctls ?? []).ToDictionary(s => s.Name, s => s.Value);
            foreach (var s in sysctls)
            {
                var name = SysctlName.Parse(s.Name);
                if (currentValues.TryGetValue(name.Dotted, out var v) && Normalize(v) == Normalize(s.Value))
                    continue;
                others.Add(new LvsPlanStep
                {
                    Action = currentValues.ContainsKey(name.Dotted) ? LvsPlanAction.Update : LvsPlanAction.Create,
                    Object = LvsPlanObject.Sysctl, Target = name.Dotted, Operation = $"sysctl -w {name.Dotted}={s.Value}",
                    Changes = v is null ? null : $"{v} -> {s.Value}", Sysctl = (name, s.Value),
                });
            }
        }
        List<LvsPlanStep> plan = [.. deletesRs, .. deletesSvc, .. stops, .. config, .. services, .. reals, .. starts, .. others];
        // Everything is checked before anything is sent: a bad value stops the whole plan, naming the step.
        foreach (var step in plan)
        {
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

    private static string Normalize(string v) => string.Join(' ', v.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    // A document restores what some kernel held (keepalived, moby/ipvs and raw netlink clients write values ipvsadm
    // refuses): its operations are checked only against what the kernel itself refuses.
    private static LvsPlanStep Step(LvsPlanAction action, LvsPlanObject obj, IpvsOperation op, string? changes = null) => new()
    {
        Action = action, Object = obj, Changes = changes, Ipvs = op with { Validation = ValidationLevel.Kernel },
    };

    private static bool SameDaemon(LvsSyncDaemonEntry a, LvsSyncDaemonEntry b) =>
        a.MulticastInterface == b.MulticastInterface && a.SyncId == b.SyncId
        && (b.SyncMaxLength is null || a.SyncMaxLength == b.SyncMaxLength)
        && (b.MulticastGroup is null || a.MulticastGroup == b.MulticastGroup)
        && (b.MulticastPort is null || a.MulticastPort == b.MulticastPort)
        && (b.MulticastTtl is null || a.MulticastTtl == b.MulticastTtl);

    /// <summary>What differs between two services' settings, or null when nothing does.</summary>
    public static string? ServiceChanges(LvsService cur, LvsService want)
    {
        var c = new List<string>();
        if (cur.Scheduler != want.Scheduler) c.Add($"scheduler {cur.Scheduler} -> {want.Scheduler}");
        var mask = ~ServiceFlags.Hashed;
        if ((cur.Flags & mask) != (want.Flags & mask)) c.Add($"flags {cur.Flags & mask} -> {want.Flags & mask}");
        if (want.Persistent && cur.PersistenceTimeout != want.PersistenceTimeout)
            c.Add($"persistence timeout {cur.PersistenceTimeout.TotalSeconds} -> {want.PersistenceTimeout.TotalSeconds}");
        if (cur.PersistenceNetmask != want.PersistenceNetmask) c.Add($"netmask {cur.PersistenceNetmask:x} -> {want.PersistenceNetmask:x}");
        if ((cur.PersistenceEngine ?? "") != (want.PersistenceEngine ?? "")) c.Add($"pe {cur.PersistenceEngine} -> {want.PersistenceEngine}");
        return c.Count == 0 ? null : string.Join("; ", c);
    }

    /// <summary>What differs between two real servers' settings, or null when nothing does.</summary>
    public static string? RealServerChanges(LvsRealServer cur, LvsRealServer want)
    {
        var c = new List<string>();
        if (cur.ForwardingMethod != want.ForwardingMethod) c.Add($"forwarding {cur.ForwardingMethod} -> {want.ForwardingMethod}");
        if (cur.Weight != want.Weight) c.Add($"weight {cur.Weight} -> {want.Weight}");
        if (cur.UpperThreshold != want.UpperThreshold) c.Add($"upper threshold {cur.UpperThreshold} -> {want.UpperThreshold}");
        if (cur.LowerThreshold != want.LowerThreshold) c.Add($"lower threshold {cur.LowerThreshold} -> {want.LowerThreshold}");
        if (want.ForwardingMethod == ForwardingMethod.Tunnel)
        {
            if ((cur.TunnelType ?? TunnelType.IpIp) != (want.TunnelType ?? TunnelType.IpIp)) c.Add($"tunnel {cur.TunnelType} -> {want.TunnelType}");
            if ((cur.TunnelPort ?? 0) != (want.TunnelPort ?? 0)) c.Add($"tunnel port {cur.TunnelPort} -> {want.TunnelPort}");
            if ((cur.TunnelChecksum ?? TunnelChecksum.None) != (want.TunnelChecksum ?? TunnelChecksum.None)) c.Add($"tunnel checksum {cur.TunnelChecksum} -> {want.TunnelChecksum}");
        }
        return c.Count == 0 ? null : string.Join("; ", c);
    }

    /// <summary>
    /// Sends the steps: the IPVS ones as one batch (256 requests per sendmsg, each failure matched to its step),
    /// then addresses and sysctls one by one. Every step ends Applied, Failed (with the kernel's reason) or NotRun
    /// (cancelled first). Running the same document again reconciles whatever did not apply.
    /// </summary>
    public static LvsApplyResult Apply(IReadOnlyList<LvsPlanStep> steps, IpvsClient ipvs, RouteClient? route, SysctlStore? sysctl,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        if (sysctl is not null)
            CheckSysctlScope(steps, sysctl); // before the first request, not half-way
        var watch = Stopwatch.StartNew();
        long before = ipvs.Connection.RequestsSent + (route?.Connection.RequestsSent ?? 0);
        var ipvsSteps = steps.Where(s => s.Ipvs is not null).ToList();
        bool cancelled = false;
        if (ipvsSteps.Count > 0)
        {
            // Plan validated every operation already.
            var result = ipvs.Apply(ipvsSteps.Select(s => s.Ipvs!).ToList(), n => progress?.Invoke(n, steps.Count), cancellation, validate: false);
            for (int i = 0; i < ipvsSteps.Count; i++)
                ipvsSteps[i].Status = i < result.Sent ? LvsPlanStatus.Applied : LvsPlanStatus.NotRun;
            foreach (var f in result.Failures)
            {
                var step = ipvsSteps[f.RequestIndex];
                var e = step.Ipvs!.Translate(f);
                step.Status = LvsPlanStatus.Failed;
                step.Exception = new LvsException(e.Kind, e.ErrorId, $"{step.Target} ({step.Operation}): {e.Message}", step, e);
                step.Error = step.Exception.Message;
            }
            cancelled = result.Cancelled;
        }
        int done = ipvsSteps.Count;
        foreach (var step in steps.Where(s => s.Ipvs is null))
        {
            if (cancelled || cancellation.IsCancellationRequested)
            {
                cancelled = true;
                step.Status = LvsPlanStatus.NotRun;
                continue;
            }
            try
            {
                if (step.Address is { } a)
                    (route ?? throw new InvalidOperationException("no route client")).AddAddress(a);
                else if (step.Sysctl is { } s)
                    (sysctl ?? throw new InvalidOperationException("no sysctl store")).Set(s.Name, s.Value);
                step.Status = LvsPlanStatus.Applied;
            }
            catch (Exception failure) when (KernelErrors.ToLvsException(failure) is { } e)
            {
                step.Status = LvsPlanStatus.Failed;
                step.Exception = new LvsException(e.Kind, e.ErrorId, $"{step.Target} ({step.Operation}): {e.Message}", step, e);
                step.Error = step.Exception.Message;
            }
            progress?.Invoke(++done, steps.Count);
        }
        return new LvsApplyResult
        {
            Steps = steps,
            Cancelled = cancelled,
            RequestsSent = ipvs.Connection.RequestsSent + (route?.Connection.RequestsSent ?? 0) - before,
            WritesSent = ipvs.Connection.RequestsSent + (route?.Connection.RequestsSent ?? 0) - before,
            Elapsed = watch.Elapsed,
        };
    }

    /// <summary>
    /// Refuses the plan when it sets a host-wide sysctl through a store bound to a named namespace without
    /// <see cref="SysctlStore.AllowHostWide"/> (SysctlNotNamespaced): checked before anything is sent.
    /// </summary>
    public static void CheckSysctlScope(IEnumerable<LvsPlanStep> steps, SysctlStore sysctl)
    {
        foreach (var step in steps)
            if (step.Sysctl is { } s)
                sysctl.CheckScope(s.Name);
    }

    /// <summary>Whether a step sets a host-wide sysctl (one that is not per network namespace).</summary>
    public static bool IsHostWide(LvsPlanStep step) => step.Sysctl is { } s && s.Name.Scope == SysctlScope.Host;
}
