using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// The IPVS table of one network namespace through the generic netlink family "IPVS": virtual services, real servers,
/// timeouts, sync daemons (the `ipvsadm` half). One instance owns one NETLINK_GENERIC connection; calls are serialised
/// by the connection, so an instance may be shared by threads. Every command needs CAP_NET_ADMIN, reads included
/// (GENL_ADMIN_PERM): without it the kernel answers EPERM. What goes on the wire is <see cref="IpvsCodec"/>'s business.
/// </summary>
public sealed partial class IpvsClient : IDisposable
{
    private readonly NetlinkConnection _connection;
    private readonly RealServerDump _dests = new();

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

    // ---------------------------------------------------------------- services

    /// <summary>Every virtual service, with statistics, in one dump. Equivalent to: ipvsadm -Ln --stats (services only).</summary>
    public List<LvsService> GetServices()
    {
        string? ns = Namespace.Name;
        return Dump(IpvsNetlink.IPVS_CMD_GET_SERVICE, null, IpvsNetlink.IPVS_CMD_NEW_SERVICE, IpvsNetlink.IPVS_CMD_ATTR_SERVICE,
            attrs => IpvsCodec.ReadService(attrs, ns));
    }

    /// <summary>One virtual service, or null when it does not exist. Equivalent to: ipvsadm -Ln -t ADDR:PORT.</summary>
    public LvsService? GetService(ServiceKey key)
    {
        IpvsValidation.Key(key);
        string? ns = Namespace.Name;
        try
        {
            return ReadOne(IpvsNetlink.IPVS_CMD_GET_SERVICE, w => IpvsCodec.WriteServiceKey(w, key), IpvsNetlink.IPVS_CMD_NEW_SERVICE,
                IpvsNetlink.IPVS_CMD_ATTR_SERVICE, attrs => IpvsCodec.ReadService(attrs, ns));
        }
        catch (NetlinkException e) when (e.Errno is Errno.ESRCH or Errno.ENOENT)
        {
            return null;
        }
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
        var list = new List<LvsRealServer>();
        DumpRealServers(service, list);
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
            DumpRealServers(s.Key, all);
        return all;
    }

    /// <summary>
    /// The real servers of each service, one list per service in the order given (a service deleted meanwhile has an
    /// empty list), one dump each. Equivalent to: ipvsadm -Ln (the real-server half).
    /// </summary>
    public List<LvsRealServer>[] GetRealServersOf(IReadOnlyList<LvsService> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var lists = new List<LvsRealServer>[services.Count];
        for (int i = 0; i < lists.Length; i++)
            DumpRealServers(services[i].Key, lists[i] = []);
        return lists;
    }

    /// <summary>
    /// One IPVS_CMD_GET_DEST dump, its real servers appended to <paramref name="into"/>. The request's buffer and the
    /// parser are the client's own, reused (under a lock, as the client may be shared by threads): reading a table of
    /// 10,000 services makes no writer, delegate or closure per service, only the real servers themselves.
    /// </summary>
    private void DumpRealServers(ServiceKey service, List<LvsRealServer> into)
    {
        lock (_dests)
        {
            var w = _dests.Request;
            w.Reset();
            w.BeginMessage(FamilyId, IpvsNetlink.IPVS_CMD_GET_DEST, IpvsNetlink.Version);
            IpvsCodec.WriteServiceKey(w, service);
            w.EndMessage();
            _dests.Service = service;
            _dests.Namespace = Namespace.Name;
            _connection.Dump(w, IpvsNetlink.CommandName(IpvsNetlink.IPVS_CMD_GET_DEST), _dests.Parse, into);
        }
    }

    /// <summary>What every real-server dump of this client shares: the request buffer, the service being read, the parser.</summary>
    private sealed class RealServerDump
    {
        public RealServerDump() => Parse = (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            IpvsCodec.TryNested(p, IpvsNetlink.IPVS_CMD_NEW_DEST, IpvsNetlink.IPVS_CMD_ATTR_DEST, out var attrs)
                ? IpvsCodec.ReadRealServer(attrs, Service!, Namespace) : null;

        public NetlinkWriter Request { get; } = new(128);

        public MessageParser<LvsRealServer> Parse { get; }

        public ServiceKey? Service { get; set; }

        public string? Namespace { get; set; }
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

    // ---------------------------------------------------------------- requests and replies

    /// <summary>A GET request of <paramref name="command"/> with the attributes <paramref name="attributes"/> writes.</summary>
    private NetlinkWriter Request(byte command, Action<NetlinkWriter>? attributes)
    {
        var w = new NetlinkWriter(128);
        w.BeginMessage(FamilyId, command, IpvsNetlink.Version);
        attributes?.Invoke(w);
        return w.EndMessage();
    }

    /// <summary>
    /// Sends a dump request and decodes every reply of <paramref name="reply"/>: the attributes nested in
    /// <paramref name="attribute"/>, or the top-level ones when it is 0.
    /// </summary>
    private List<T> Dump<T>(byte command, Action<NetlinkWriter>? attributes, byte reply, ushort attribute, IpvsCodec.Decoder<T> decode)
        where T : class =>
        _connection.Dump(Request(command, attributes), IpvsNetlink.CommandName(command),
            (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) => Select(p, reply, attribute, out var attrs) ? decode(attrs) : null);

    /// <summary>Sends a request that has one answer and decodes it as <see cref="Dump{T}"/> does; null when none came.</summary>
    private T? ReadOne<T>(byte command, Action<NetlinkWriter>? attributes, byte reply, ushort attribute, IpvsCodec.Decoder<T> decode)
        where T : class
    {
        T? found = null;
        _connection.Execute(Request(command, attributes), IpvsNetlink.CommandName(command), (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
        {
            if (Select(p, reply, attribute, out var attrs))
                found = decode(attrs);
        });
        return found;
    }

    private static bool Select(ReadOnlySpan<byte> payload, byte reply, ushort attribute, out ReadOnlySpan<byte> attributes) =>
        attribute == 0 ? IpvsCodec.TryAttributes(payload, reply, out attributes) : IpvsCodec.TryNested(payload, reply, attribute, out attributes);

    public void Dispose() => _connection.Dispose();
}

