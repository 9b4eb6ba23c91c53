using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

// Timeouts, sync daemons, version and capabilities, counters and flush.
public sealed partial class IpvsClient
{
    /// <summary>The connection timeouts. Equivalent to: ipvsadm -L --timeout.</summary>
    public LvsTimeouts GetTimeouts()
    {
        string? ns = Namespace.Name;
        return ReadOne(IpvsNetlink.IPVS_CMD_GET_CONFIG, null, IpvsNetlink.IPVS_CMD_SET_CONFIG, 0, attrs => IpvsCodec.ReadTimeouts(attrs, ns))
            ?? throw new NetlinkProtocolException("IPVS_CMD_GET_CONFIG: no IPVS_CMD_SET_CONFIG in the reply");
    }

    /// <summary>Sets the connection timeouts; zero leaves a value unchanged. Equivalent to: ipvsadm --set TCP TCPFIN UDP.</summary>
    public void SetTimeouts(LvsTimeouts timeouts) => Execute(IpvsOperation.SetTimeouts(timeouts));

    /// <summary>The running sync daemons (none, master, backup or both). Equivalent to: ipvsadm -L --daemon.</summary>
    public List<LvsSyncDaemon> GetSyncDaemons()
    {
        string? ns = Namespace.Name;
        return Dump(IpvsNetlink.IPVS_CMD_GET_DAEMON, null, IpvsNetlink.IPVS_CMD_NEW_DAEMON, IpvsNetlink.IPVS_CMD_ATTR_DAEMON,
            attrs => IpvsCodec.ReadSyncDaemon(attrs, ns));
    }

    /// <summary>Starts a sync daemon. Equivalent to: ipvsadm --start-daemon master --mcast-interface IF --syncid N.</summary>
    /// <exception cref="NetlinkException">EEXIST when one of that state runs; EINVAL with mixed-family real servers.</exception>
    public void StartSyncDaemon(LvsSyncDaemon daemon) => Execute(IpvsOperation.StartSyncDaemon(daemon));

    /// <summary>Stops a sync daemon. Equivalent to: ipvsadm --stop-daemon master.</summary>
    /// <exception cref="NetlinkException">ESRCH when none of that state runs.</exception>
    public void StopSyncDaemon(SyncDaemonState state) => Execute(IpvsOperation.StopSyncDaemon(state));

    /// <summary>IPVS version and table size, plus the kernel release and its schedulers. Equivalent to: ipvsadm --version; uname -r.</summary>
    public LvsInfo GetInfo() =>
        ReadInfo() with { KernelVersion = IpvsModules.KernelRelease(), Schedulers = IpvsModules.AvailableSchedulers() };

    private LvsInfo ReadInfo()
    {
        string? ns = Namespace.Name;
        return ReadOne(IpvsNetlink.IPVS_CMD_GET_INFO, null, IpvsNetlink.IPVS_CMD_SET_INFO, 0, attrs => IpvsCodec.ReadInfo(attrs, ns))
            ?? throw new NetlinkProtocolException("IPVS_CMD_GET_INFO: no IPVS_CMD_SET_INFO in the reply");
    }

    /// <summary>Zeroes the counters of one service, or of all (null). Equivalent to: ipvsadm -Z [-t ADDR:PORT].</summary>
    public void Zero(ServiceKey? service = null) => Execute(IpvsOperation.Zero(service));

    /// <summary>Deletes every service and real server of the namespace. Equivalent to: ipvsadm -C.</summary>
    public void Flush() => Execute(IpvsOperation.Flush());

    /// <summary>
    /// What this kernel's IPVS offers: version and table size (GET_INFO), kernel release, whether real servers carry
    /// ADDR_FAMILY and statistics come as STATS64 (learnt from one service dump and real-server dumps of up to 16 services;
    /// null when there was nothing to look at), and which scheduler and persistence-engine modules are loaded or
    /// installed. Reads only. Equivalent to: ipvsadm --version; uname -r; ls /lib/modules/$(uname -r)/kernel/net/netfilter/ipvs.
    /// </summary>
    public IpvsCapabilities Probe()
    {
        var info = ReadInfo();
        var services = GetServices();
        bool? addrFamily = null;
        foreach (var s in services.Take(16)) // a few dumps at most, however large the table
        {
            var dests = new List<LvsRealServer>();
            DumpRealServers(s.Key, dests);
            if (dests.Count > 0)
            {
                addrFamily = dests[0].AddressFamilyReported;
                break;
            }
        }
        var release = IpvsModules.KernelRelease();
        var loaded = IpvsModules.Loaded();
        var all = new HashSet<string>(loaded, StringComparer.Ordinal);
        all.UnionWith(IpvsModules.Installed(release));
        return new IpvsCapabilities
        {
            IpvsVersion = info.Version,
            ConnectionTableSize = info.ConnectionTableSize,
            KernelVersion = release,
            ReportsRealServerAddressFamily = addrFamily,
            ReportsStatistics64 = services.Count > 0 ? services[0].HasStatistics64 : null,
            LoadedSchedulers = IpvsModules.Schedulers(loaded),
            AvailableSchedulers = IpvsModules.Schedulers(all),
            AvailablePersistenceEngines = IpvsModules.PersistenceEngines(all),
            NetNamespace = Namespace.Name,
        };
    }
}
