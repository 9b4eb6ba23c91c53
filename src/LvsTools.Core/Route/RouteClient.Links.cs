using LvsTools.Core.Netlink;

namespace LvsTools.Core.Route;

/// <summary>The `ip link set` / `ip link add` / `ip route show default` half of rtnetlink that the real server's role needs.</summary>
public sealed partial class RouteClient
{
    public const ushort RTM_NEWROUTE = 24, RTM_GETROUTE = 26;
    private const ushort RTA_OIF = 4, RTA_PRIORITY = 6, RTA_MULTIPATH = 9, RTA_TABLE = 15;
    private const byte RT_TABLE_MAIN = 254, RTN_UNICAST = 1;

    /// <summary>
    /// Sets an interface up or down. Equivalent to: ip link set dev NAME up|down
    /// (RTM_NEWLINK with ifi_flags IFF_UP under the change mask IFF_UP).
    /// </summary>
    public void SetLinkUp(int index, bool up)
    {
        _writer.Reset();
        Span<byte> ifi = stackalloc byte[16];
        NativeEndian.Put(ifi[4..], index);
        NativeEndian.Put(ifi[8..], up ? (uint)InterfaceFlags.Up : 0u);
        NativeEndian.Put(ifi[12..], (uint)InterfaceFlags.Up);
        _writer.BeginMessage(RTM_NEWLINK, NetlinkFlags.None).WriteBytes(ifi).EndMessage();
        Namespace.Verify();
        _connection.Execute(_writer, "RTM_NEWLINK");
    }

    /// <summary>
    /// Creates a link of a kind with no further options, or finds it there already. Equivalent to: ip link add NAME type KIND.
    /// The kernel loads the kind's module on demand (rtnl-link-KIND): for "ipip" that module also creates the fallback
    /// device tunl0 in every namespace, so asking for tunl0 finds it (EEXIST) rather than making a second one.
    /// </summary>
    /// <returns>True when this call created it; false when it existed.</returns>
    /// <exception cref="NetlinkException">EOPNOTSUPP when the kernel has no such kind (module absent), EPERM without CAP_NET_ADMIN.</exception>
    public bool EnsureLink(string name, string kind)
    {
        _writer.Reset();
        _writer.BeginMessage(RTM_NEWLINK, NetlinkFlags.Create | NetlinkFlags.Excl).WriteBytes(new byte[16]).String(NetInterface.IFLA_IFNAME, name);
        using (_writer.Nested(NetInterface.IFLA_LINKINFO))
            _writer.String(NetInterface.IFLA_INFO_KIND, kind);
        _writer.EndMessage();
        Namespace.Verify();
        try
        {
            _connection.Execute(_writer, "RTM_NEWLINK");
            return true;
        }
        catch (NetlinkException e) when (e.Errno == Errno.EEXIST)
        {
            return false;
        }
    }

    /// <summary>
    /// The interface index of the main table's default route of a family (the one with the lowest metric; the first
    /// next hop of a multipath route), or null when there is none. Equivalent to: ip route show default.
    /// </summary>
    public int? GetDefaultRouteInterface(IPFamily family)
    {
        _writer.Reset();
        Span<byte> rtm = stackalloc byte[12];
        rtm[0] = (byte)(int)family;
        _writer.BeginMessage(RTM_GETROUTE, NetlinkFlags.None).WriteBytes(rtm).EndMessage();
        var routes = _connection.Dump(_writer, "RTM_GETROUTE", (in NetlinkMessageHeader h, ReadOnlySpan<byte> p) =>
            h.Type == RTM_NEWROUTE ? DefaultRoute.Parse(p) : null);
        return routes.Where(r => r.Interface > 0).OrderBy(r => r.Metric).Select(r => (int?)r.Interface).FirstOrDefault();
    }

    private sealed record DefaultRoute(int Interface, uint Metric)
    {
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags(u32); then attributes.
        public static DefaultRoute? Parse(ReadOnlySpan<byte> p)
        {
            if (p.Length < 12 || p[1] != 0 || p[7] != RTN_UNICAST)
                return null;
            uint table = p[4];
            int oif = 0;
            uint metric = 0;
            foreach (var a in new NetlinkAttributeReader(p[12..]))
            {
                switch (a.Type)
                {
                    case RTA_TABLE: table = a.U32(); break;
                    case RTA_OIF: oif = (int)a.U32(); break;
                    case RTA_PRIORITY: metric = a.U32(); break;
                    // struct rtnexthop: len(u16), flags(u8), hops(u8), ifindex(i32).
                    case RTA_MULTIPATH when oif == 0 && a.Value.Length >= 8: oif = (int)NativeEndian.U32(a.Value[4..]); break;
                }
            }
            return table == RT_TABLE_MAIN ? new DefaultRoute(oif, metric) : null;
        }
    }
}
