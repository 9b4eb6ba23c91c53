using System.Net;
using CsCheck;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Tests.Property;

/// <summary>
/// Generators of objects the kernel accepts (ip_vs_ctl.c): any address and port, any firewall mark but 0, every scheduler
/// and flag bit, any persistence timeout, any IPv4 persistence mask (holes too) and IPv6 prefix 1..128, weights 0..INT_MAX,
/// lower threshold not above the upper one, Route and Tunnel servers on a port other than the service's.
/// <see cref="Range"/> narrows them to what a format can carry.
/// </summary>
public static class ValidModels
{
    public enum Range
    {
        /// <summary>Everything the kernel accepts (the netlink codec carries it all).</summary>
        Kernel,
        /// <summary>The JSON document: persistence timeout is an int (up to 2^31-1 s, 68 years), and a timeout is kept only
        /// for a persistent service (the kernel keeps one without persistence too, where it means nothing).</summary>
        Document,
        /// <summary>ipvsadm rules: as the document, and only what ipvsadm options express: no Local or Bypass forwarding
        /// (no option names them), and Route/Tunnel real servers on the service's port, which ipvsadm -R forces.</summary>
        Rules,
    }

    private static readonly Gen<IPAddress> V4 = Gen.Byte.Array[4].Select(b => new IPAddress(b));
    private static readonly Gen<IPAddress> V6 = Gen.Byte.Array[16].Select(b => new IPAddress(b));

    public static Gen<IPAddress> Address(IPFamily family) => family == IPFamily.IPv6 ? V6 : V4;

    public static Gen<LvsService> Service(Range range) =>
        from family in Gen.OneOf(IPFamily.IPv4, IPFamily.IPv6)
        from fwmark in Gen.Frequency((3, Gen.Const(0u)), (1, Gen.UInt[1, uint.MaxValue]))
        from protocol in Gen.OneOf(IpvsProtocol.Tcp, IpvsProtocol.Udp, IpvsProtocol.Sctp)
        from address in Address(family)
        from port in Gen.UShort
        from scheduler in Gen.OneOf(IpvsValidation.KnownSchedulers.Where(s => s != "none").ToArray())
        from flags in Gen.UInt[0, 0x3f].Select(f => (ServiceFlags)f & ~ServiceFlags.Hashed)
        // ipvsadm -R refuses a persistence timeout beyond 31 days (MAX_TIMEOUT), so rules carry at most that.
        from timeout in range == Range.Kernel ? Gen.UInt : range == Range.Rules ? Gen.UInt[1, 2678400] : Gen.UInt[0, int.MaxValue]
        from mask in family == IPFamily.IPv6 ? Gen.UInt[1, 128] : Gen.Frequency((3, Gen.Const(uint.MaxValue)), (2, Gen.UInt))
        from engine in Gen.OneOf<string?>(null, "sip")
        select new LvsService
        {
            AddressFamily = family,
            Protocol = fwmark == 0 ? protocol : null,
            Address = fwmark == 0 ? address : null,
            // ipvsadm -R refuses port 0 of a non-persistent service
            Port = fwmark == 0 ? (range == Range.Rules && port == 0 && (flags & ServiceFlags.Persistent) == 0 ? (ushort)1 : port) : (ushort)0,
            FirewallMark = fwmark == 0 ? null : fwmark,
            Scheduler = scheduler,
            // ipvsadm -R refuses one-packet scheduling of a TCP or SCTP service
            Flags = range == Range.Rules && fwmark == 0 && protocol != IpvsProtocol.Udp ? flags & ~ServiceFlags.OnePacket : flags,
            PersistenceTimeout = TimeSpan.FromSeconds(range == Range.Kernel || (flags & ServiceFlags.Persistent) != 0 ? timeout : 0),
            PersistenceNetmask = mask,
            PersistenceEngine = engine,
        };

    /// <summary>A real server address the kernel accepts (ip_vs_new_dest: not unspecified, broadcast, multicast, IPv4-mapped).</summary>
    private static bool KernelAcceptsRealServer(IPAddress a) =>
        !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any) && !a.Equals(IPAddress.Broadcast) && !a.IsIPv4MappedToIPv6
        && (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? !a.IsIPv6Multicast : a.GetAddressBytes()[0] is < 224 or > 239);

    public static Gen<LvsRealServer> RealServer(LvsService service, Range range) =>
        from address in Address(service.AddressFamily).Where(KernelAcceptsRealServer)
        from port in Gen.UShort
        from method in range == Range.Rules
            ? Gen.OneOf(ForwardingMethod.Masquerade, ForwardingMethod.Route, ForwardingMethod.Tunnel)
            : Gen.OneOf(ForwardingMethod.Masquerade, ForwardingMethod.Local, ForwardingMethod.Route, ForwardingMethod.Tunnel, ForwardingMethod.Bypass)
        from weight in Gen.Int[0, int.MaxValue]
        from upper in Gen.Frequency((2, Gen.Const(0u)), (1, Gen.UInt))
        from lowerFraction in Gen.Double[0, 1]
        from tunnel in Gen.OneOf(TunnelType.IpIp, TunnelType.Gue, TunnelType.Gre)
        from tunnelPort in Gen.UShort[1, ushort.MaxValue]
        from checksum in Gen.OneOf(TunnelChecksum.None, TunnelChecksum.Checksum, TunnelChecksum.RemoteChecksum)
        let isTunnel = method == ForwardingMethod.Tunnel
        let forced = range == Range.Rules && !service.Key.IsFirewallMark && method is ForwardingMethod.Route or ForwardingMethod.Tunnel
        select new LvsRealServer
        {
            Service = service.Key,
            Address = address,
            Port = forced ? service.Port : port,
            ForwardingMethod = method,
            Weight = weight,
            UpperThreshold = upper,
            LowerThreshold = (uint)(upper * lowerFraction),
            TunnelType = isTunnel ? tunnel : null,
            TunnelPort = isTunnel && tunnel == TunnelType.Gue ? tunnelPort : null,
            TunnelChecksum = isTunnel ? tunnel == TunnelType.IpIp ? TunnelChecksum.None : checksum : null,
        };

    /// <summary>A service and up to five real servers of it with distinct endpoints.</summary>
    public static Gen<(LvsService Service, LvsRealServer[] RealServers)> ServiceWithRealServers(Range range) =>
        from s in Service(range)
        from reals in RealServer(s, range).Array[0, 5]
        select (s, reals.DistinctBy(r => (r.Address, r.Port)).ToArray());

    public static readonly Gen<IpvsStatistics> Statistics =
        Gen.ULong.Array[10].Select(v => new IpvsStatistics
        {
            Connections = v[0], InPackets = v[1], OutPackets = v[2], InBytes = v[3], OutBytes = v[4], ConnectionsPerSecond = v[5],
            InPacketsPerSecond = v[6], OutPacketsPerSecond = v[7], InBytesPerSecond = v[8], OutBytesPerSecond = v[9],
        });

    /// <summary>Timeouts in whole seconds up to INT_MAX/100 (what any kernel accepts; the document checks it at Kernel level).</summary>
    public static readonly Gen<LvsTimeouts> Timeouts =
        Gen.Int[0, (int)IpvsValidation.MaxKernelConnectionTimeout.TotalSeconds].Array[3].Select(t => new LvsTimeouts
        {
            Tcp = TimeSpan.FromSeconds(t[0]), TcpFin = TimeSpan.FromSeconds(t[1]), Udp = TimeSpan.FromSeconds(t[2]),
        });

    private static readonly Gen<LvsSyncDaemon> Daemon =
        from state in Gen.OneOf(SyncDaemonState.Master, SyncDaemonState.Backup)
        from ifname in Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789.-_"].Array[0, 14].Select(c => "e" + new string(c))
        from syncId in Gen.UInt[0, 255]
        from maxLen in Gen.Frequency((1, Gen.Const((ushort?)null)), (1, Gen.UShort[1, 65507].Select(u => (ushort?)u)))
        from v6 in Gen.Bool
        from mcast in Gen.Frequency((1, Gen.Const((IPAddress?)null)),
            (2, v6 ? Gen.Byte.Array[15].Select(b => (IPAddress?)new IPAddress([0xff, .. b])) : Gen.Byte.Array[3].Select(b => (IPAddress?)new IPAddress([(byte)(224 + b[0] % 16), b[1], b[2], 7]))))
        from port in Gen.Frequency((1, Gen.Const((ushort?)null)), (1, Gen.UShort[1, ushort.MaxValue].Select(u => (ushort?)u)))
        from ttl in Gen.Frequency((1, Gen.Const((byte?)null)), (1, Gen.Byte[1, 255].Select(b => (byte?)b)))
        select new LvsSyncDaemon { State = state, MulticastInterface = ifname, SyncId = syncId, SyncMaxLength = maxLen, MulticastGroup = mcast, MulticastPort = port, MulticastTtl = ttl };

    /// <summary>None, a master, a backup, or both (the kernel runs at most one of each).</summary>
    public static readonly Gen<LvsSyncDaemon[]> Daemons = Daemon.Array[0, 2].Select(d => d.DistinctBy(x => x.State).ToArray());
}
