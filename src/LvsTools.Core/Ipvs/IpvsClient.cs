using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// The IPVS table of one network namespace through the generic netlink family "IPVS": virtual services, real servers,
/// timeouts, sync daemons (the `ipvsadm` half). One instance owns one NETLINK_GENERIC connection; calls are serialised
/// by the connection, so an instance may be shared by threads. Every command needs CAP_NET_ADMIN, reads included
/// (GENL_ADMIN_PERM): without it the kernel answers EPERM.
/// </summary>
public sealed class IpvsClient : IDisposable
{
    private readonly NetlinkConnection _connection;

    /// <param name="connection">A NETLINK_GENERIC connection (a fake one in tests).</param>
    /// <param name="familyId">The id nlctrl gave the "IPVS" family.</param>
    /// <param name="ns">The namespace the connection lives in (only used to label results).</param>
    public IpvsClient(NetlinkConnection connection, ushort familyId, NetNamespace? ns = null)
    {
        _connection = connection;
        FamilyId = familyId;
        Namespace = ns ?? NetNamespace.Current;
    }

    /// <summary>
    /// Opens a NETLINK_GENERIC connection in <paramref name="ns"/> and resolves the "IPVS" family.
    /// Equivalent to: genl ctrl get name IPVS (what every ipvsadm run does first).
    /// </summary>
    /// <exception cref="GenericFamilyNotFoundException">IPVS is not available (kind NotInstalled, id IPVSNotInstalled).</exception>
    public static IpvsClient Open(NetNamespace ns)
    {
        var connection = ns.Connect(NetlinkProtocol.Generic);
        try
        {
            var family = GenericNetlink.ResolveFamily(connection, IpvsNetlink.FamilyName);
            return new IpvsClient(connection, family.Id, ns);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The "IPVS" family's id in this kernel.</summary>
    public ushort FamilyId { get; }

    /// <summary>The namespace whose table this client reads and writes.</summary>
    public NetNamespace Namespace { get; }

    /// <summary>The underlying connection (timeouts, request counts).</summary>
    public NetlinkConnection Connection => _connection;

    private NetlinkWriter Request(byte command, int capacity = 128)
    {
        var w = new NetlinkWriter(capacity);
        w.BeginMessage(FamilyId, command, IpvsNetlink.Version);
        return w;
    }

    // ---------------------------------------------------------------- services

    /// <summary>Every virtual service, with statistics, in one dump. Equivalent to: ipvsadm -Ln --stats (services only).</summary>
    public List<LvsService> GetServices()
    {
        var w = Request(IpvsNetlink.IPVS_CMD_GET_SERVICE).EndMessage();
        var list = _connection.Dump(w, "IPVS_CMD_GET_SERVICE", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            IpvsNetlink.SplitGenl(p, out var attrs) == IpvsNetlink.IPVS_CMD_NEW_SERVICE
            && IpvsNetlink.TryFind(attrs, IpvsNetlink.IPVS_CMD_ATTR_SERVICE, out var svc) ? LvsService.Parse(svc) : null);
        foreach (var s in list)
            s.NetNamespace = Namespace.Name;
        return list;
    }

    /// <summary>One virtual service, or null when it does not exist. Equivalent to: ipvsadm -Ln -t ADDR:PORT.</summary>
    public LvsService? GetService(ServiceKey key)
    {
        IpvsValidation.Key(key);
        var w = Request(IpvsNetlink.IPVS_CMD_GET_SERVICE);
        key.Write(w);
        w.EndMessage();
        LvsService? found = null;
        try
        {
            _connection.Execute(w, "IPVS_CMD_GET_SERVICE", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            {
                if (IpvsNetlink.SplitGenl(p, out var attrs) == IpvsNetlink.IPVS_CMD_NEW_SERVICE
                    && IpvsNetlink.TryFind(attrs, IpvsNetlink.IPVS_CMD_ATTR_SERVICE, out var svc))
                    found = LvsService.Parse(svc);
            });
        }
        catch (NetlinkException e) when (e.Errno is Errno.ESRCH or Errno.ENOENT)
        {
            return null;
        }
        if (found is not null)
            found.NetNamespace = Namespace.Name;
        return found;
    }

    /// <summary>Adds a virtual service. Equivalent to: ipvsadm -A -t ADDR:PORT -s SCHED [-p T] [-M MASK] [--pe PE] [-o] [-b FLAGS].</summary>
    /// <exception cref="LvsException">Invalid values; SchedulerNotAvailable / PersistenceEngineNotAvailable; EEXIST when it exists.</exception>
    public void AddService(LvsService service) => Execute(IpvsOperation.AddService(service));

    /// <summary>Replaces a service's scheduler, flags, timeout, netmask and engine. Equivalent to: ipvsadm -E -t ADDR:PORT -s SCHED ...</summary>
    /// <exception cref="LvsException">Invalid values; SchedulerNotAvailable; ESRCH when the service does not exist.</exception>
    public void EditService(LvsService service) => Execute(IpvsOperation.EditService(service));

    /// <summary>Deletes a service and its real servers. Equivalent to: ipvsadm -D -t ADDR:PORT.</summary>
    /// <exception cref="NetlinkException">ESRCH when the service does not exist.</exception>
    public void DeleteService(ServiceKey key) => Execute(IpvsOperation.DeleteService(key));

    // ---------------------------------------------------------------- real servers

    /// <summary>
    /// The real servers of one service, in one dump. Equivalent to: ipvsadm -Ln -t ADDR:PORT. The kernel answers a dump
    /// for a missing service with an empty list; an empty answer is therefore checked with one GET_SERVICE.
    /// </summary>
    /// <exception cref="LvsException">LvsServiceNotFound when the service does not exist.</exception>
    public List<LvsRealServer> GetRealServers(ServiceKey service)
    {
        IpvsValidation.Key(service);
        var list = DumpRealServers(service);
        if (list.Count == 0 && GetService(service) is null)
            throw new LvsException(LvsErrorKind.NotFound, "LvsServiceNotFound",
                $"Virtual service {service} does not exist" + (Namespace.IsCurrent ? "." : $" in network namespace '{Namespace.Name}'."), service.ToString());
        return list;
    }

    /// <summary>
    /// Every real server of every service: one service dump plus one real-server dump per service (IPVS has no dump of
    /// all destinations). Equivalent to: ipvsadm -Ln. A service deleted between the two dumps contributes nothing.
    /// </summary>
    public List<LvsRealServer> GetAllRealServers() => GetAllRealServers(GetServices());

    /// <summary>The real servers of the given services (one dump each), e.g. of a service list already read.</summary>
    public List<LvsRealServer> GetAllRealServers(IEnumerable<LvsService> services)
    {
        var all = new List<LvsRealServer>();
        foreach (var s in services)
            all.AddRange(DumpRealServers(s.Key));
        return all;
    }

    private List<LvsRealServer> DumpRealServers(ServiceKey service)
    {
        var w = Request(IpvsNetlink.IPVS_CMD_GET_DEST);
        service.Write(w);
        w.EndMessage();
        var list = _connection.Dump(w, "IPVS_CMD_GET_DEST", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            IpvsNetlink.SplitGenl(p, out var attrs) == IpvsNetlink.IPVS_CMD_NEW_DEST
            && IpvsNetlink.TryFind(attrs, IpvsNetlink.IPVS_CMD_ATTR_DEST, out var dest) ? LvsRealServer.Parse(dest, service) : null);
        foreach (var d in list)
            d.NetNamespace = Namespace.Name;
        return list;
    }

    /// <summary>Adds a real server. Equivalent to: ipvsadm -a -t ADDR:PORT -r RADDR:RPORT -m|-g|-i -w W [-x U -y L].</summary>
    /// <exception cref="LvsException">Invalid values; ESRCH: no such service; EEXIST: the server exists; EINVAL: address not unicast.</exception>
    public void AddRealServer(LvsRealServer server) => Execute(IpvsOperation.AddRealServer(server));

    /// <summary>Changes a real server's forwarding, weight and thresholds. Equivalent to: ipvsadm -e -t ADDR:PORT -r RADDR:RPORT ...</summary>
    /// <exception cref="LvsException">Invalid values; ESRCH: no such service; ENOENT: no such real server.</exception>
    public void EditRealServer(LvsRealServer server) => Execute(IpvsOperation.EditRealServer(server));

    /// <summary>Deletes a real server. Equivalent to: ipvsadm -d -t ADDR:PORT -r RADDR:RPORT.</summary>
    /// <exception cref="NetlinkException">ESRCH: no such service; ENOENT: no such real server.</exception>
    public void DeleteRealServer(ServiceKey service, IPAddress address, ushort port) =>
        Execute(IpvsOperation.DeleteRealServer(service, address, port));

    // ---------------------------------------------------------------- configuration

    /// <summary>The connection timeouts. Equivalent to: ipvsadm -L --timeout.</summary>
    public LvsTimeouts GetTimeouts()
    {
        var w = Request(IpvsNetlink.IPVS_CMD_GET_CONFIG).EndMessage();
        LvsTimeouts? t = null;
        _connection.Execute(w, "IPVS_CMD_GET_CONFIG", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
        {
            if (IpvsNetlink.SplitGenl(p, out var attrs) == IpvsNetlink.IPVS_CMD_SET_CONFIG)
                t = LvsTimeouts.Parse(attrs);
        });
        t = t ?? throw new NetlinkProtocolException("IPVS_CMD_GET_CONFIG: no IPVS_CMD_SET_CONFIG in the reply");
        t.NetNamespace = Namespace.Name;
        return t;
    }

    /// <summary>Sets the connection timeouts; zero leaves a value unchanged. Equivalent to: ipvsadm --set TCP TCPFIN UDP.</summary>
    public void SetTimeouts(LvsTimeouts timeouts) => Execute(IpvsOperation.SetTimeouts(timeouts));

    /// <summary>The running sync daemons (none, master, backup or both). Equivalent to: ipvsadm -L --daemon.</summary>
    public List<LvsSyncDaemon> GetSyncDaemons()
    {
        var w = Request(IpvsNetlink.IPVS_CMD_GET_DAEMON).EndMessage();
        var list = _connection.Dump(w, "IPVS_CMD_GET_DAEMON", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            IpvsNetlink.SplitGenl(p, out var attrs) == IpvsNetlink.IPVS_CMD_NEW_DAEMON
            && IpvsNetlink.TryFind(attrs, IpvsNetlink.IPVS_CMD_ATTR_DAEMON, out var d) ? LvsSyncDaemon.Parse(d) : null);
        foreach (var d in list)
            d.NetNamespace = Namespace.Name;
        return list;
    }

    /// <summary>Starts a sync daemon. Equivalent to: ipvsadm --start-daemon master --mcast-interface IF --syncid N.</summary>
    /// <exception cref="NetlinkException">EEXIST when one of that state runs; EINVAL with mixed-family real servers.</exception>
    public void StartSyncDaemon(LvsSyncDaemon daemon) => Execute(IpvsOperation.StartSyncDaemon(daemon));

    /// <summary>Stops a sync daemon. Equivalent to: ipvsadm --stop-daemon master.</summary>
    /// <exception cref="NetlinkException">ESRCH when none of that state runs.</exception>
    public void StopSyncDaemon(SyncDaemonState state) => Execute(IpvsOperation.StopSyncDaemon(state));

    /// <summary>IPVS version and table size, plus the kernel release and its schedulers. Equivalent to: ipvsadm --version; uname -r.</summary>
    public LvsInfo GetInfo()
    {
        var info = ReadInfo();
        return info with { KernelVersion = IpvsModules.KernelRelease(), Schedulers = IpvsModules.AvailableSchedulers(), NetNamespace = Namespace.Name };
    }

    private LvsInfo ReadInfo()
    {
        var w = Request(IpvsNetlink.IPVS_CMD_GET_INFO).EndMessage();
        LvsInfo? info = null;
        _connection.Execute(w, "IPVS_CMD_GET_INFO", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
        {
            if (IpvsNetlink.SplitGenl(p, out var attrs) == IpvsNetlink.IPVS_CMD_SET_INFO)
                info = LvsInfo.Parse(attrs);
        });
        return info ?? throw new NetlinkProtocolException("IPVS_CMD_GET_INFO: no IPVS_CMD_SET_INFO in the reply");
    }

    /// <summary>Zeroes the counters of one service, or of all (null). Equivalent to: ipvsadm -Z [-t ADDR:PORT].</summary>
    public void Zero(ServiceKey? service = null) => Execute(IpvsOperation.Zero(service));

    /// <summary>Deletes every service and real server of the namespace. Equivalent to: ipvsadm -C.</summary>
    public void Flush() => Execute(IpvsOperation.Flush());

    // ---------------------------------------------------------------- operations and batches

    /// <summary>
    /// Validates and sends one operation, waiting for the kernel's answer. Kernel errors come back as the
    /// <see cref="NetlinkException"/>, except those <see cref="IpvsOperation.Translate"/> gives an IPVS id.
    /// </summary>
    /// <exception cref="LvsException">Invalid values, or the kernel's refusal.</exception>
    public void Execute(IpvsOperation operation)
    {
        operation.Validate();
        var w = new NetlinkWriter(256);
        operation.Write(w, FamilyId);
        Namespace.Verify();
        try
        {
            _connection.Execute(w, operation.CommandName);
        }
        catch (NetlinkException e) when (operation.Translate(e) is { ErrorId.Length: > 0 } ipvs)
        {
            throw ipvs;
        }
    }

    /// <summary>
    /// Sends many operations in order, 256 per sendmsg, an acknowledgement asked only for the last of each sendmsg (see
    /// <see cref="NetlinkConnection.Batch"/>). All operations are validated first; nothing is sent if one is invalid.
    /// The kernel processes each request even after another failed; every refusal is in
    /// <see cref="BatchResult.Failures"/> with <see cref="NetlinkException.RequestIndex"/> = the index in
    /// <paramref name="operations"/> (use <see cref="IpvsOperation.Translate"/> on it for IPVS ids).
    /// Equivalent to: ipvsadm -R with the operations' command lines, without its per-line socket and family lookup.
    /// </summary>
    /// <exception cref="LvsException">An operation is invalid (the message names its index and command line).</exception>
    public BatchResult Apply(IReadOnlyList<IpvsOperation> operations, Action<int>? progress = null, CancellationToken cancellation = default,
        bool validate = true)
    {
        ArgumentNullException.ThrowIfNull(operations);
        for (int i = 0; validate && i < operations.Count; i++)
        {
            try
            {
                operations[i].Validate();
            }
            catch (LvsException e)
            {
                throw new LvsException(e.Kind, e.ErrorId, $"Operation {i} ({operations[i].Describe()}): {e.Message}", e.Target, e);
            }
        }
        var w = new NetlinkWriter(Math.Max(256, operations.Count * 160));
        foreach (var op in operations)
            op.Write(w, FamilyId);
        string name = operations.Count > 0 && operations.All(o => o.Command == operations[0].Command)
            ? operations[0].CommandName
            : "IPVS batch";
        Namespace.Verify();
        return _connection.Batch(w, name, progress: progress, cancellation: cancellation);
    }

    /// <summary>
    /// Adds services and then real servers in batches (see <see cref="Apply"/>): request i is services[i] for
    /// i &lt; services.Count, else realServers[i - services.Count]. Equivalent to: ipvsadm -R with -A and -a lines.
    /// </summary>
    public BatchResult AddServicesAndRealServers(IReadOnlyList<LvsService> services, IReadOnlyList<LvsRealServer> realServers,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(realServers);
        var ops = new List<IpvsOperation>(services.Count + realServers.Count);
        ops.AddRange(services.Select(IpvsOperation.AddService));
        ops.AddRange(realServers.Select(IpvsOperation.AddRealServer));
        return Apply(ops, progress, cancellation);
    }

    // ---------------------------------------------------------------- capabilities

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
            var dests = DumpRealServers(s.Key);
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

    public void Dispose() => _connection.Dispose();
}
