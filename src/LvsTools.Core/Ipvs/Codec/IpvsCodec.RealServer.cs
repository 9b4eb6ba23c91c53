using System.Net;
using LvsTools.Core.Netlink;
using static LvsTools.Core.Ipvs.IpvsNetlink;

namespace LvsTools.Core.Ipvs;

// Real servers: IPVS_CMD_ATTR_DEST and its IPVS_DEST_ATTR_* (ip_vs_genl_parse_dest / ip_vs_genl_fill_dest).
internal static partial class IpvsCodec
{
    /// <summary>
    /// Writes IPVS_CMD_ATTR_DEST in the full form NEW_DEST / SET_DEST need, in ipvsadm 1.31's order: ADDR_FAMILY, ADDR,
    /// PORT, FWD_METHOD, WEIGHT, then TUN_TYPE, TUN_PORT, TUN_FLAGS for a Tunnel server, then U_THRESH, L_THRESH.
    /// ADDR_FAMILY is always sent, as ipvsadm 1.31 does: the 6.1 kernel takes the service's family when it is absent,
    /// which would make a mixed-family (tunnel) server impossible, and kernels before 3.18 ignore it. ipvsadm also
    /// sends zero TUN_* for other methods; leaving them out is the same to the kernel (absent = 0).
    /// </summary>
    internal static void WriteRealServer(NetlinkWriter w, LvsRealServer server)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_DEST);
        WriteRealServerIdentity(w, server.AddressFamily, server.Address, server.Port);
        w.U32(IPVS_DEST_ATTR_FWD_METHOD, (uint)server.ForwardingMethod & ForwardingMask);
        w.U32(IPVS_DEST_ATTR_WEIGHT, unchecked((uint)server.Weight));
        if (server.ForwardingMethod == ForwardingMethod.Tunnel)
        {
            w.U8(IPVS_DEST_ATTR_TUN_TYPE, (byte)(server.TunnelType ?? TunnelType.IpIp));
            w.BigEndianU16(IPVS_DEST_ATTR_TUN_PORT, server.TunnelPort ?? 0);
            w.U16(IPVS_DEST_ATTR_TUN_FLAGS, (ushort)(server.TunnelChecksum ?? TunnelChecksum.None));
        }
        w.U32(IPVS_DEST_ATTR_U_THRESH, server.UpperThreshold);
        w.U32(IPVS_DEST_ATTR_L_THRESH, server.LowerThreshold);
    }

    /// <summary>Writes IPVS_CMD_ATTR_DEST with only what identifies the server (for DEL_DEST): ADDR_FAMILY, ADDR, PORT.</summary>
    internal static void WriteRealServerKey(NetlinkWriter w, IPAddress address, ushort port)
    {
        using var nest = w.Nested(IPVS_CMD_ATTR_DEST);
        WriteRealServerIdentity(w, IPFamilies.Of(address), address, port);
    }

    private static void WriteRealServerIdentity(NetlinkWriter w, IPFamily family, IPAddress address, ushort port)
    {
        w.U16(IPVS_DEST_ATTR_ADDR_FAMILY, Af(family));
        WriteAddress(w, IPVS_DEST_ATTR_ADDR, address);
        w.BigEndianU16(IPVS_DEST_ATTR_PORT, port);
    }

    /// <summary>Parses the attributes nested in IPVS_CMD_ATTR_DEST of a real server of <paramref name="service"/>.</summary>
    /// <param name="attributes">The nest's attributes.</param>
    /// <param name="service">The service the real servers were dumped for (the kernel does not repeat it).</param>
    /// <param name="netNamespace">The namespace the server was read from, carried by the result.</param>
    /// <exception cref="NetlinkProtocolException">ADDR or PORT is missing, or the address is too short for its family.</exception>
    internal static LvsRealServer ReadRealServer(ReadOnlySpan<byte> attributes, ServiceKey service, string? netNamespace = null)
    {
        ReadOnlySpan<byte> addr = default, stats32 = default, stats64 = default;
        bool hasAddr = false, has32 = false, has64 = false;
        ushort? port = null, af = null;
        uint fwd = 0, weight = 0, uth = 0, lth = 0, active = 0, inactive = 0, persist = 0;
        byte? tunType = null;
        ushort? tunPort = null, tunFlags = null;
        List<UnknownAttribute>? unknown = null;
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            switch (a.Type)
            {
                case IPVS_DEST_ATTR_ADDR: addr = a.Value; hasAddr = true; break;
                case IPVS_DEST_ATTR_PORT: port = a.BigEndianU16(); break;
                case IPVS_DEST_ATTR_FWD_METHOD: fwd = a.U32(); break;
                case IPVS_DEST_ATTR_WEIGHT: weight = a.U32(); break;
                case IPVS_DEST_ATTR_U_THRESH: uth = a.U32(); break;
                case IPVS_DEST_ATTR_L_THRESH: lth = a.U32(); break;
                case IPVS_DEST_ATTR_ACTIVE_CONNS: active = a.U32(); break;
                case IPVS_DEST_ATTR_INACT_CONNS: inactive = a.U32(); break;
                case IPVS_DEST_ATTR_PERSIST_CONNS: persist = a.U32(); break;
                case IPVS_DEST_ATTR_ADDR_FAMILY: af = a.U16(); break;
                case IPVS_DEST_ATTR_TUN_TYPE: tunType = a.U8(); break;
                case IPVS_DEST_ATTR_TUN_PORT: tunPort = a.BigEndianU16(); break;
                case IPVS_DEST_ATTR_TUN_FLAGS: tunFlags = a.U16(); break;
                case IPVS_DEST_ATTR_STATS: stats32 = a.Value; has32 = true; break;
                case IPVS_DEST_ATTR_STATS64: stats64 = a.Value; has64 = true; break;
                default: UnknownAttribute.Keep(ref unknown, a); break;
            }
        }
        if (!hasAddr || port is null)
            throw new NetlinkProtocolException("IPVS destination without IPVS_DEST_ATTR_ADDR or IPVS_DEST_ATTR_PORT");
        var family = af is { } f ? FamilyOf(f) : service.Family;
        var method = (ForwardingMethod)(fwd & ForwardingMask);
        bool tunnel = method == ForwardingMethod.Tunnel;
        // The 6.1 kernel reports TUN_TYPE, TUN_PORT and TUN_FLAGS for every server; they mean something only for Tunnel,
        // and the port only for GUE (it reports 0 for ipip and GRE).
        bool gue = tunnel && tunType == (byte)TunnelType.Gue;
        return new LvsRealServer
        {
            Service = service, Address = ReadAddress(addr, family, "destination"), Port = port.Value, AddressFamily = family,
            ForwardingMethod = method, Weight = (int)weight, UpperThreshold = uth, LowerThreshold = lth,
            ActiveConnections = active, InactiveConnections = inactive, PersistentConnections = persist,
            TunnelType = tunnel && tunType is { } tt ? (TunnelType)tt : null,
            TunnelPort = gue || (tunnel && tunPort is not null and not 0) ? tunPort : null,
            TunnelChecksum = tunnel && tunFlags is { } tf ? (TunnelChecksum)tf : null,
            Statistics = ChooseStatistics(stats32, has32, stats64, has64),
            HasStatistics64 = has64,
            AddressFamilyReported = af is not null,
            UnknownAttributes = UnknownAttribute.Kept(unknown),
            NetNamespace = netNamespace,
        };
    }
}
