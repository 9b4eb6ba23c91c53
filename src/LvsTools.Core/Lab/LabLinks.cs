using System.Net;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;

namespace LvsTools.Core.Lab;

/// <summary>
/// The rtnetlink requests that build a lab's plumbing: bridges, veth pairs whose ends land in other namespaces, links
/// set up, default routes. Each names its iproute2 twin.
/// </summary>
public static class LabLinks
{
    private const ushort RTM_NEWLINK = 16, RTM_NEWROUTE = 24;
    private const ushort IFLA_IFNAME = 3, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28;
    private const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;
    private const ushort RTA_GATEWAY = 5;
    private const uint IFF_UP = 1;

    /// <summary>Creates a bridge, up. Equivalent to: ip link add NAME up type bridge.</summary>
    public static void AddBridge(RouteClient route, string name)
    {
        var w = new NetlinkWriter(128);
        w.BeginMessage(RTM_NEWLINK, NetlinkFlags.Create | NetlinkFlags.Excl).WriteBytes(InterfaceInfo(up: true));
        w.String(IFLA_IFNAME, name);
        using (w.Nested(IFLA_LINKINFO))
            w.String(IFLA_INFO_KIND, "bridge");
        w.EndMessage();
        Send(route, w, "RTM_NEWLINK");
    }

    /// <summary>
    /// Creates a veth pair: <paramref name="name"/> in the route client's namespace, up (a port of bridge
    /// <paramref name="masterIndex"/> when given), <paramref name="peerName"/> in <paramref name="peer"/>, down.
    /// Equivalent to: ip link add NAME up [master BR] type veth peer name PEER netns PEERNS.
    /// </summary>
    public static void AddVethPair(RouteClient route, string name, int? masterIndex, NetNamespace peer, string peerName)
    {
        peer.WithDescriptor(fd =>
        {
            var w = new NetlinkWriter(256);
            w.BeginMessage(RTM_NEWLINK, NetlinkFlags.Create | NetlinkFlags.Excl).WriteBytes(InterfaceInfo(up: true));
            w.String(IFLA_IFNAME, name);
            if (masterIndex is { } master)
                w.U32(IFLA_MASTER, (uint)master);
            using (w.Nested(IFLA_LINKINFO))
            {
                w.String(IFLA_INFO_KIND, "veth");
                using (w.Nested(IFLA_INFO_DATA))
                {
                    // VETH_INFO_PEER holds a whole ifinfomsg and the peer's own attributes. The peer cannot be set up
                    // here: the kernel opens it before the pair is joined (veth_open: ENOTCONN); SetUp it afterwards.
                    int start = w.BeginNested(VETH_INFO_PEER);
                    w.WriteBytes(InterfaceInfo(up: false));
                    w.String(IFLA_IFNAME, peerName);
                    w.U32(IFLA_NET_NS_FD, (uint)fd);
                    w.EndNested(start);
                }
            }
            w.EndMessage();
            Send(route, w, "RTM_NEWLINK");
            return 0;
        });
    }

    /// <summary>Sets a link up. Equivalent to: ip link set NAME up.</summary>
    public static void SetUp(RouteClient route, string name)
    {
        var w = new NetlinkWriter(64);
        w.BeginMessage(RTM_NEWLINK, NetlinkFlags.None).WriteBytes(InterfaceInfo(up: true)).String(IFLA_IFNAME, name).EndMessage();
        Send(route, w, "RTM_NEWLINK");
    }

    /// <summary>Adds the default route of the main table. Equivalent to: ip route add default via GATEWAY.</summary>
    public static void AddDefaultRoute(RouteClient route, IPAddress gateway)
    {
        var w = new NetlinkWriter(64);
        w.BeginMessage(RTM_NEWROUTE, NetlinkFlags.Create | NetlinkFlags.Excl);
        // struct rtmsg: family, dst_len 0, src_len 0, tos 0, table main (254), protocol boot (3), scope universe (0),
        // type unicast (1), flags 0.
        Span<byte> rtm = stackalloc byte[12];
        rtm.Clear();
        rtm[0] = (byte)NetlinkWriter.Family(gateway.AddressFamily);
        rtm[4] = 254;
        rtm[5] = 3;
        rtm[7] = 1;
        w.WriteBytes(rtm);
        w.Address(RTA_GATEWAY, gateway);
        w.EndMessage();
        Send(route, w, "RTM_NEWROUTE");
    }

    // struct ifinfomsg (16 bytes): family, pad, type, index, flags, change; IFF_UP in flags and change when up.
    private static byte[] InterfaceInfo(bool up)
    {
        var b = new byte[16];
        if (up)
        {
            NativeEndian.Put(b.AsSpan(8), IFF_UP);
            NativeEndian.Put(b.AsSpan(12), IFF_UP);
        }
        return b;
    }

    private static void Send(RouteClient route, NetlinkWriter w, string operation)
    {
        route.Namespace.Verify();
        route.Connection.Execute(w, operation);
    }
}
