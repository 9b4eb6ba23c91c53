using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

/// <summary>A service as the kernel holds it, with its real servers keyed by endpoint.</summary>
public sealed record LvsKernelService(LvsService Service, IReadOnlyDictionary<(IPAddress Address, ushort Port), LvsRealServer> RealServers);

/// <summary>
/// What a plan is compared against: the kernel's objects as one read produced them (the model records, keyed by
/// <see cref="ServiceKey"/> and endpoint), never document text. Export makes a document of it
/// (<see cref="ToDocument"/>); Import and Sync plan against it directly.
/// </summary>
public sealed class LvsKernelState
{
    /// <summary>Every service by key, each with its real servers by (address, port).</summary>
    public required IReadOnlyDictionary<ServiceKey, LvsKernelService> Services { get; init; }

    /// <summary>The connection timeouts (null: not read).</summary>
    public LvsTimeouts? Timeouts { get; init; }

    /// <summary>The running sync daemons.</summary>
    public IReadOnlyList<LvsSyncDaemon> SyncDaemons { get; init; } = [];

    /// <summary>The addresses that carry a service's virtual IP (null: not read).</summary>
    public IReadOnlyList<LvsVirtualIpEntry>? VirtualIps { get; init; }

    /// <summary>The dependent sysctls (<see cref="LvsConfigurationSync.DependentSysctlPatterns"/>; null: not read).</summary>
    public IReadOnlyList<LvsSysctlEntry>? Sysctls { get; init; }

    /// <summary>
    /// The netlink requests the reads sent: the dumps of <see cref="Read"/>, and the interface and address lookups that
    /// planning virtual IPs against this state added (<see cref="LvsConfigurationSync.Plan(LvsKernelState, LvsConfigurationDocument, bool, RouteClient?)"/>).
    /// </summary>
    public long RequestsSent { get; internal set; }

    /// <summary>
    /// Reads the kernel once: one service dump, one real-server dump per service, timeouts, sync daemons; with
    /// <paramref name="route"/> the addresses that carry a service's virtual IP; with <paramref name="sysctl"/> the
    /// dependent sysctls. Equivalent to: ipvsadm -S -n plus ipvsadm -L --timeout --daemon (and ip addr, sysctl).
    /// </summary>
    public static LvsKernelState Read(IpvsClient ipvs, RouteClient? route = null, SysctlStore? sysctl = null)
    {
        ArgumentNullException.ThrowIfNull(ipvs);
        return ReadFor(ipvs, route, sysctl, null);
    }

    /// <summary>
    /// Reads only the given services and their real servers (one lookup and one real-server dump each; a service the
    /// kernel does not hold is absent), and no other section (timeouts, daemons, addresses and sysctls stay null/empty: not
    /// read). Equivalent to: ipvsadm -Ln -t ADDR:PORT, once per service.
    /// </summary>
    public static LvsKernelState ReadServices(IpvsClient ipvs, IEnumerable<ServiceKey> keys)
    {
        ArgumentNullException.ThrowIfNull(ipvs);
        ArgumentNullException.ThrowIfNull(keys);
        long before = ipvs.Connection.RequestsSent;
        var list = keys.Select(ipvs.GetService).OfType<LvsService>().ToList();
        var reals = ipvs.GetRealServersOf(list);
        var services = Table(list, reals);
        return new LvsKernelState { Services = services, RequestsSent = ipvs.Connection.RequestsSent - before };
    }

    /// <summary>
    /// As <see cref="Read"/>; without <paramref name="ipvs"/> the IPVS table is not read (no services, no timeouts,
    /// no daemons: for a document that manages only addresses and sysctls, on a kernel without IPVS), and
    /// <paramref name="sysctlNames"/> (a document's sysctls) are read beside the dependent ones, each that exists.
    /// </summary>
    public static LvsKernelState ReadFor(IpvsClient? ipvs, RouteClient? route, SysctlStore? sysctl, IEnumerable<string>? sysctlNames)
    {
        long before = (ipvs?.Connection.RequestsSent ?? 0) + (route?.Connection.RequestsSent ?? 0);
        var list = ipvs?.GetServices() ?? [];
        var reals = ipvs?.GetRealServersOf(list) ?? [];
        var services = Table(list, reals);
        var timeouts = ipvs?.GetTimeouts();
        var daemons = ipvs?.GetSyncDaemons() ?? [];
        List<LvsVirtualIpEntry>? vips = null;
        if (route is not null)
        {
            var addresses = services.Keys.Where(k => k.Address is not null).Select(k => k.Address!).ToHashSet();
            vips = route.GetAddresses()
                .Where(a => addresses.Contains(a.IPAddress))
                .Select(a => new LvsVirtualIpEntry
                {
                    InterfaceName = a.InterfaceName,
                    Address = a.Cidr,
                    Label = a.AddressFamily == IPFamily.IPv4 && a.Label != a.InterfaceName ? a.Label : null,
                    Broadcast = a.Broadcast?.ToString(),
                })
                .ToList();
        }
        var sysctls = sysctl is null ? null : LvsConfigurationSync.DependentSysctlPatterns
            .SelectMany(p => sysctl.Find(SysctlName.Parse(p, allowWildcards: true)))
            .Where(e => !e.Name.Contains(".conf.default.", StringComparison.Ordinal))
            .Concat((sysctlNames ?? []).Select(n => SysctlName.Parse(n)).Where(sysctl.Exists).Select(sysctl.Get))
            .DistinctBy(e => e.Name)
            .Select(e => new LvsSysctlEntry { Name = e.Name, Value = e.Value })
            .ToList();
        return new LvsKernelState
        {
            Services = services, Timeouts = timeouts, SyncDaemons = daemons, VirtualIps = vips, Sysctls = sysctls,
            RequestsSent = (ipvs?.Connection.RequestsSent ?? 0) + (route?.Connection.RequestsSent ?? 0) - before,
        };
    }

    private static Dictionary<ServiceKey, LvsKernelService> Table(List<LvsService> list, List<LvsRealServer>[] reals)
    {
        var services = new Dictionary<ServiceKey, LvsKernelService>(list.Count);
        for (int i = 0; i < list.Count; i++)
            services[list[i].Key] = new LvsKernelService(list[i], reals[i].ToDictionary(r => (r.Address, r.Port)));
        return services;
    }

    /// <summary>
    /// The state a document describes, for planning one document against another (a dry run without a kernel).
    /// Sections the document leaves out are empty here.
    /// </summary>
    /// <exception cref="LvsException">An entry that does not make a valid service or real server.</exception>
    public static LvsKernelState From(LvsConfigurationDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var services = new Dictionary<ServiceKey, LvsKernelService>();
        foreach (var e in doc.Services ?? [])
        {
            var s = e.ToService();
            services[s.Key] = new LvsKernelService(s, (e.RealServers ?? []).Select(r => r.ToRealServer(s.Key)).ToDictionary(r => (r.Address, r.Port)));
        }
        return new LvsKernelState
        {
            Services = services,
            Timeouts = doc.Timeouts?.ToTimeouts(),
            SyncDaemons = (doc.SyncDaemons ?? []).Select(d => d.ToSyncDaemon()).ToList(),
            VirtualIps = doc.VirtualIps,
            Sysctls = doc.Sysctls,
        };
    }

    /// <summary>The document of this state (canonical order), as Export-LvsConfiguration writes it.</summary>
    public LvsConfigurationDocument ToDocument()
    {
        var doc = new LvsConfigurationDocument
        {
            SchemaVersion = LvsConfigurationDocument.ExportSchemaVersion,
            Generator = LvsConfigurationDocument.GeneratorName,
            Timeouts = Timeouts is null ? null : LvsTimeoutsEntry.From(Timeouts),
            SyncDaemons = SyncDaemons.Select(LvsSyncDaemonEntry.From).ToList(),
            Services = Services.Values.Select(s => LvsServiceEntry.From(s.Service, s.RealServers.Values)).ToList(),
            VirtualIps = VirtualIps?.ToList(),
            Sysctls = Sysctls?.ToList(),
        };
        doc.Canonicalize();
        return doc;
    }
}
