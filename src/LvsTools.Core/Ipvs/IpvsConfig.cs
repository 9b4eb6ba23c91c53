using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// The connection timeouts of `ipvsadm -L --timeout` / `ipvsadm --set tcp tcpfin udp`. When setting, zero means
/// "leave unchanged", as with ipvsadm (the kernel applies only the non-zero values).
/// </summary>
public sealed record LvsTimeouts
{
    /// <summary>Established TCP connections (kernel default 900 s).</summary>
    public TimeSpan Tcp { get; init; }

    /// <summary>TCP after a FIN (kernel default 120 s).</summary>
    public TimeSpan TcpFin { get; init; }

    /// <summary>UDP (kernel default 300 s).</summary>
    public TimeSpan Udp { get; init; }

    /// <summary>The network namespace the values were read from (null: the current one).</summary>
    public string? NetNamespace { get; set; }

    /// <summary>Parses the top-level attributes of an IPVS_CMD_SET_CONFIG reply (after the genlmsghdr).</summary>
    public static LvsTimeouts Parse(ReadOnlySpan<byte> attributes)
    {
        uint tcp = 0, fin = 0, udp = 0;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            switch (a.Type)
            {
                case IpvsNetlink.IPVS_CMD_ATTR_TIMEOUT_TCP: tcp = a.U32(); break;
                case IpvsNetlink.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: fin = a.U32(); break;
                case IpvsNetlink.IPVS_CMD_ATTR_TIMEOUT_UDP: udp = a.U32(); break;
            }
        }
        return new LvsTimeouts { Tcp = TimeSpan.FromSeconds(tcp), TcpFin = TimeSpan.FromSeconds(fin), Udp = TimeSpan.FromSeconds(udp) };
    }

    /// <summary>Writes the three IPVS_CMD_ATTR_TIMEOUT_* attributes (all three, as ipvsadm does; 0 = unchanged).</summary>
    public void Write(NetlinkWriter w)
    {
        w.U32(IpvsNetlink.IPVS_CMD_ATTR_TIMEOUT_TCP, Seconds(Tcp));
        w.U32(IpvsNetlink.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, Seconds(TcpFin));
        w.U32(IpvsNetlink.IPVS_CMD_ATTR_TIMEOUT_UDP, Seconds(Udp));
    }

    internal static uint Seconds(TimeSpan t) => IpvsadmSyntax.Seconds(t);

    /// <summary>As `ipvsadm -L --timeout` prints it.</summary>
    public override string ToString() => IpvsadmSyntax.FormatTimeouts(this);
}

/// <summary>
/// A connection synchronisation daemon (`ipvsadm --start-daemon` / `ipvsadm -L --daemon`). The optional values are
/// null when not given; the kernel then uses its defaults (sync-maxlen from the MTU, group 224.0.0.81, port 8848,
/// ttl 1) and reports them back.
/// </summary>
public sealed record LvsSyncDaemon
{
    /// <summary>Master (sends) or backup (receives).</summary>
    public SyncDaemonState State { get; init; } = SyncDaemonState.Master;

    /// <summary>The interface the sync messages use (ipvsadm --mcast-interface; ipvsadm's default is eth0).</summary>
    public string MulticastInterface { get; init; } = "";

    /// <summary>The sync id (0-255; 0 = any on a backup).</summary>
    public uint SyncId { get; init; }

    /// <summary>The largest sync message (ipvsadm --sync-maxlen).</summary>
    public ushort? SyncMaxLength { get; init; }

    /// <summary>The multicast group, IPv4 or IPv6 (ipvsadm --mcast-group).</summary>
    public IPAddress? MulticastGroup { get; init; }

    /// <summary>The UDP port (ipvsadm --mcast-port).</summary>
    public ushort? MulticastPort { get; init; }

    /// <summary>The multicast TTL (ipvsadm --mcast-ttl).</summary>
    public byte? MulticastTtl { get; init; }

    /// <summary>The network namespace the daemon was read from (null: the current one).</summary>
    public string? NetNamespace { get; set; }

    /// <summary>Attributes this version does not know.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    /// <summary>Parses the attributes nested in IPVS_CMD_ATTR_DAEMON.</summary>
    public static LvsSyncDaemon Parse(ReadOnlySpan<byte> nestedDaemonAttrs)
    {
        uint state = 0, syncId = 0;
        string ifn = "";
        ushort? maxLen = null, port = null;
        byte? ttl = null;
        IPAddress? group = null;
        var unknown = new List<UnknownAttribute>();
        foreach (var a in new NetlinkAttributeReader(nestedDaemonAttrs))
        {
            switch (a.Type)
            {
                case IpvsNetlink.IPVS_DAEMON_ATTR_STATE: state = a.U32(); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_IFN: ifn = a.String(); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_SYNC_ID: syncId = a.U32(); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_SYNC_MAXLEN: maxLen = a.U16(); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_GROUP: group = a.Address(System.Net.Sockets.AddressFamily.InterNetwork); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_GROUP6: group = a.Address(System.Net.Sockets.AddressFamily.InterNetworkV6); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_PORT: port = a.U16(); break;
                case IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_TTL: ttl = a.U8(); break;
                default: unknown.Add(UnknownAttribute.From(a)); break;
            }
        }
        return new LvsSyncDaemon
        {
            State = (SyncDaemonState)state, MulticastInterface = ifn, SyncId = syncId, SyncMaxLength = maxLen,
            MulticastGroup = group, MulticastPort = port, MulticastTtl = ttl, UnknownAttributes = unknown,
        };
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_DAEMON for IPVS_CMD_NEW_DAEMON: STATE, MCAST_IFN, SYNC_ID, then the optional values that
    /// are set (SYNC_MAXLEN u16, MCAST_GROUP/GROUP6, MCAST_PORT u16 host order, MCAST_TTL u8), as ipvsadm 1.31 does.
    /// </summary>
    public void Write(NetlinkWriter w)
    {
        int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_DAEMON);
        w.U32(IpvsNetlink.IPVS_DAEMON_ATTR_STATE, (uint)State);
        w.String(IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_IFN, MulticastInterface);
        w.U32(IpvsNetlink.IPVS_DAEMON_ATTR_SYNC_ID, SyncId);
        if (SyncMaxLength is { } len)
            w.U16(IpvsNetlink.IPVS_DAEMON_ATTR_SYNC_MAXLEN, len);
        if (MulticastGroup is { } g)
            w.Address(g.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_GROUP6 : IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_GROUP, g);
        if (MulticastPort is { } p)
            w.U16(IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_PORT, p);
        if (MulticastTtl is { } t)
            w.U8(IpvsNetlink.IPVS_DAEMON_ATTR_MCAST_TTL, t);
        w.EndNested(s);
    }

    /// <summary>The ipvsadm options after --start-daemon STATE (see <see cref="IpvsadmSyntax.DaemonOptions"/>).</summary>
    internal string IpvsadmOptions() => IpvsadmSyntax.DaemonOptions(this);

    /// <summary>The state as ipvsadm spells it: master or backup.</summary>
    public static string StateName(SyncDaemonState state) => IpvsadmSyntax.DaemonStateName(state);

    /// <summary>As `ipvsadm -L --daemon` prints it.</summary>
    public override string ToString() => IpvsadmSyntax.FormatDaemon(this);
}

/// <summary>What `ipvsadm --version` / the first line of `ipvsadm -L` tell: the IPVS version and table size.</summary>
public sealed record LvsInfo
{
    /// <summary>The IPVS version (0x010201 = 1.2.1).</summary>
    public required Version Version { get; init; }

    /// <summary>The connection hash table's size (module parameter conn_tab_bits; 4096 by default).</summary>
    public uint ConnectionTableSize { get; init; }

    /// <summary>The running kernel's release (uname -r).</summary>
    public string KernelVersion { get; init; } = "";

    /// <summary>The schedulers this kernel has: loaded modules, modules on disk and built-in ones.</summary>
    public IReadOnlyList<string> Schedulers { get; init; } = [];

    /// <summary>The network namespace the values were read from (null: the current one).</summary>
    public string? NetNamespace { get; set; }

    /// <summary>Decodes IP_VS_VERSION_CODE: 0x010201 = 1.2.1.</summary>
    public static Version DecodeVersion(uint code) => new((int)(code >> 16) & 0xff, (int)(code >> 8) & 0xff, (int)code & 0xff);

    /// <summary>Parses the attributes of an IPVS_CMD_SET_INFO reply (after the genlmsghdr).</summary>
    public static LvsInfo Parse(ReadOnlySpan<byte> attributes)
    {
        uint version = 0, size = 0;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            if (a.Type == IpvsNetlink.IPVS_INFO_ATTR_VERSION)
                version = a.U32();
            else if (a.Type == IpvsNetlink.IPVS_INFO_ATTR_CONN_TAB_SIZE)
                size = a.U32();
        }
        return new LvsInfo { Version = DecodeVersion(version), ConnectionTableSize = size };
    }

    /// <summary>As ipvsadm's header line prints it.</summary>
    public override string ToString() => IpvsadmSyntax.FormatInfo(this);
}
