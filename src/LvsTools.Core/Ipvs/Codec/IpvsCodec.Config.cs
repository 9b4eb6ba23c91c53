using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Netlink;
using static LvsTools.Core.Ipvs.IpvsNetlink;

namespace LvsTools.Core.Ipvs;

// Timeouts (IPVS_CMD_ATTR_TIMEOUT_*), sync daemons (IPVS_CMD_ATTR_DAEMON) and the version (IPVS_INFO_ATTR_*).
internal static partial class IpvsCodec
{
    /// <summary>Decodes IP_VS_VERSION_CODE: 0x010201 = 1.2.1.</summary>
    internal static Version DecodeVersion(uint code) => new((int)(code >> 16) & 0xff, (int)(code >> 8) & 0xff, (int)code & 0xff);

    /// <summary>Writes the three IPVS_CMD_ATTR_TIMEOUT_* attributes (all three, as ipvsadm does; 0 = unchanged).</summary>
    internal static void WriteTimeouts(NetlinkWriter w, LvsTimeouts timeouts)
    {
        w.U32(IPVS_CMD_ATTR_TIMEOUT_TCP, IpvsadmSyntax.Seconds(timeouts.Tcp));
        w.U32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, IpvsadmSyntax.Seconds(timeouts.TcpFin));
        w.U32(IPVS_CMD_ATTR_TIMEOUT_UDP, IpvsadmSyntax.Seconds(timeouts.Udp));
    }

    /// <summary>Parses the top-level attributes of an IPVS_CMD_SET_CONFIG reply (after the genlmsghdr).</summary>
    internal static LvsTimeouts ReadTimeouts(ReadOnlySpan<byte> attributes, string? netNamespace = null)
    {
        uint tcp = 0, fin = 0, udp = 0;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            switch (a.Type)
            {
                case IPVS_CMD_ATTR_TIMEOUT_TCP: tcp = a.U32(); break;
                case IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: fin = a.U32(); break;
                case IPVS_CMD_ATTR_TIMEOUT_UDP: udp = a.U32(); break;
            }
        }
        return new LvsTimeouts
        {
            Tcp = TimeSpan.FromSeconds(tcp), TcpFin = TimeSpan.FromSeconds(fin), Udp = TimeSpan.FromSeconds(udp), NetNamespace = netNamespace,
        };
    }

    /// <summary>
    /// Writes IPVS_CMD_ATTR_DAEMON for IPVS_CMD_NEW_DAEMON: STATE, MCAST_IFN, SYNC_ID, then the optional values that
    /// are set (SYNC_MAXLEN u16, MCAST_GROUP/GROUP6, MCAST_PORT u16 host order, MCAST_TTL u8), as ipvsadm 1.31 does.
    /// </summary>
    internal static void WriteSyncDaemon(NetlinkWriter w, LvsSyncDaemon daemon)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_DAEMON);
        w.U32(IPVS_DAEMON_ATTR_STATE, (uint)daemon.State);
        w.String(IPVS_DAEMON_ATTR_MCAST_IFN, daemon.MulticastInterface);
        w.U32(IPVS_DAEMON_ATTR_SYNC_ID, daemon.SyncId);
        if (daemon.SyncMaxLength is { } len)
            w.U16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, len);
        if (daemon.MulticastGroup is { } g)
            w.Address(g.AddressFamily == AddressFamily.InterNetworkV6 ? IPVS_DAEMON_ATTR_MCAST_GROUP6 : IPVS_DAEMON_ATTR_MCAST_GROUP, g);
        if (daemon.MulticastPort is { } p)
            w.U16(IPVS_DAEMON_ATTR_MCAST_PORT, p);
        if (daemon.MulticastTtl is { } t)
            w.U8(IPVS_DAEMON_ATTR_MCAST_TTL, t);
    }

    /// <summary>Writes IPVS_CMD_ATTR_DAEMON with only the state (IPVS_CMD_DEL_DAEMON).</summary>
    internal static void WriteSyncDaemonState(NetlinkWriter w, SyncDaemonState state)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_DAEMON);
        w.U32(IPVS_DAEMON_ATTR_STATE, (uint)state);
    }

    /// <summary>Parses the attributes nested in IPVS_CMD_ATTR_DAEMON.</summary>
    internal static LvsSyncDaemon ReadSyncDaemon(ReadOnlySpan<byte> attributes, string? netNamespace = null)
    {
        uint state = 0, syncId = 0;
        string ifn = "";
        ushort? maxLen = null, port = null;
        byte? ttl = null;
        IPAddress? group = null;
        List<UnknownAttribute>? unknown = null;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            switch (a.Type)
            {
                case IPVS_DAEMON_ATTR_STATE: state = a.U32(); break;
                case IPVS_DAEMON_ATTR_MCAST_IFN: ifn = a.String(); break;
                case IPVS_DAEMON_ATTR_SYNC_ID: syncId = a.U32(); break;
                case IPVS_DAEMON_ATTR_SYNC_MAXLEN: maxLen = a.U16(); break;
                case IPVS_DAEMON_ATTR_MCAST_GROUP: group = a.Address(AddressFamily.InterNetwork); break;
                case IPVS_DAEMON_ATTR_MCAST_GROUP6: group = a.Address(AddressFamily.InterNetworkV6); break;
                case IPVS_DAEMON_ATTR_MCAST_PORT: port = a.U16(); break;
                case IPVS_DAEMON_ATTR_MCAST_TTL: ttl = a.U8(); break;
                default: UnknownAttribute.Keep(ref unknown, a); break;
            }
        }
        return new LvsSyncDaemon
        {
            State = (SyncDaemonState)state, MulticastInterface = ifn, SyncId = syncId, SyncMaxLength = maxLen,
            MulticastGroup = group, MulticastPort = port, MulticastTtl = ttl, UnknownAttributes = UnknownAttribute.Kept(unknown),
            NetNamespace = netNamespace,
        };
    }

    /// <summary>Parses the attributes of an IPVS_CMD_SET_INFO reply (after the genlmsghdr).</summary>
    internal static LvsInfo ReadInfo(ReadOnlySpan<byte> attributes, string? netNamespace = null)
    {
        uint version = 0, size = 0;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            if (a.Type == IPVS_INFO_ATTR_VERSION)
                version = a.U32();
            else if (a.Type == IPVS_INFO_ATTR_CONN_TAB_SIZE)
                size = a.U32();
        }
        return new LvsInfo { Version = DecodeVersion(version), ConnectionTableSize = size, NetNamespace = netNamespace };
    }
}
