using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// Wire constants of the generic netlink family "IPVS" (include/uapi/linux/ip_vs.h), named as the kernel names
/// them, and the few encodings that are particular to it. Byte order is decided here once: the family is host
/// order throughout, except ports (service, real server, tunnel: network order) and the IPv4 persistence netmask
/// (a __be32, i.e. the mask's bytes as written: 255.255.255.0 is ff ff ff 00). An IPv6 "netmask" is a prefix
/// length in host order. Addresses are always 16 bytes (union nf_inet_addr), IPv4 in the first 4.
/// </summary>
public static class IpvsNetlink
{
    /// <summary>The family's name, resolved through nlctrl.</summary>
    public const string FamilyName = "IPVS";

    /// <summary>IPVS_GENL_VERSION.</summary>
    public const byte Version = 1;

    public const byte IPVS_CMD_NEW_SERVICE = 1, IPVS_CMD_SET_SERVICE = 2, IPVS_CMD_DEL_SERVICE = 3, IPVS_CMD_GET_SERVICE = 4,
        IPVS_CMD_NEW_DEST = 5, IPVS_CMD_SET_DEST = 6, IPVS_CMD_DEL_DEST = 7, IPVS_CMD_GET_DEST = 8,
        IPVS_CMD_NEW_DAEMON = 9, IPVS_CMD_DEL_DAEMON = 10, IPVS_CMD_GET_DAEMON = 11,
        IPVS_CMD_SET_CONFIG = 12, IPVS_CMD_GET_CONFIG = 13, IPVS_CMD_SET_INFO = 14, IPVS_CMD_GET_INFO = 15,
        IPVS_CMD_ZERO = 16, IPVS_CMD_FLUSH = 17;

    public const ushort IPVS_CMD_ATTR_SERVICE = 1, IPVS_CMD_ATTR_DEST = 2, IPVS_CMD_ATTR_DAEMON = 3,
        IPVS_CMD_ATTR_TIMEOUT_TCP = 4, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5, IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

    public const ushort IPVS_SVC_ATTR_AF = 1, IPVS_SVC_ATTR_PROTOCOL = 2, IPVS_SVC_ATTR_ADDR = 3, IPVS_SVC_ATTR_PORT = 4,
        IPVS_SVC_ATTR_FWMARK = 5, IPVS_SVC_ATTR_SCHED_NAME = 6, IPVS_SVC_ATTR_FLAGS = 7, IPVS_SVC_ATTR_TIMEOUT = 8,
        IPVS_SVC_ATTR_NETMASK = 9, IPVS_SVC_ATTR_STATS = 10, IPVS_SVC_ATTR_PE_NAME = 11, IPVS_SVC_ATTR_STATS64 = 12;

    public const ushort IPVS_DEST_ATTR_ADDR = 1, IPVS_DEST_ATTR_PORT = 2, IPVS_DEST_ATTR_FWD_METHOD = 3, IPVS_DEST_ATTR_WEIGHT = 4,
        IPVS_DEST_ATTR_U_THRESH = 5, IPVS_DEST_ATTR_L_THRESH = 6, IPVS_DEST_ATTR_ACTIVE_CONNS = 7, IPVS_DEST_ATTR_INACT_CONNS = 8,
        IPVS_DEST_ATTR_PERSIST_CONNS = 9, IPVS_DEST_ATTR_STATS = 10, IPVS_DEST_ATTR_ADDR_FAMILY = 11, IPVS_DEST_ATTR_STATS64 = 12,
        IPVS_DEST_ATTR_TUN_TYPE = 13, IPVS_DEST_ATTR_TUN_PORT = 14, IPVS_DEST_ATTR_TUN_FLAGS = 15;

    public const ushort IPVS_DAEMON_ATTR_STATE = 1, IPVS_DAEMON_ATTR_MCAST_IFN = 2, IPVS_DAEMON_ATTR_SYNC_ID = 3,
        IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4, IPVS_DAEMON_ATTR_MCAST_GROUP = 5, IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6,
        IPVS_DAEMON_ATTR_MCAST_PORT = 7, IPVS_DAEMON_ATTR_MCAST_TTL = 8;

    public const ushort IPVS_STATS_ATTR_CONNS = 1, IPVS_STATS_ATTR_INPKTS = 2, IPVS_STATS_ATTR_OUTPKTS = 3,
        IPVS_STATS_ATTR_INBYTES = 4, IPVS_STATS_ATTR_OUTBYTES = 5, IPVS_STATS_ATTR_CPS = 6, IPVS_STATS_ATTR_INPPS = 7,
        IPVS_STATS_ATTR_OUTPPS = 8, IPVS_STATS_ATTR_INBPS = 9, IPVS_STATS_ATTR_OUTBPS = 10, IPVS_STATS_ATTR_PAD = 11;

    public const ushort IPVS_INFO_ATTR_VERSION = 1, IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;

    /// <summary>IP_VS_CONN_F_FWD_MASK.</summary>
    public const uint ForwardingMask = 0x7;

    /// <summary>IP_VS_SCHEDNAME_MAXLEN (with the NUL).</summary>
    public const int SchedulerNameMax = 16;

    /// <summary>IP_VS_PENAME_MAXLEN (without the NUL: the kernel's policy allows 16 characters).</summary>
    public const int PersistenceEngineNameMax = 16;

    /// <summary>IP_VS_IFNAME_MAXLEN (with the NUL).</summary>
    public const int InterfaceNameMax = 16;

    /// <summary>The kernel's name of a command ("IPVS_CMD_NEW_SERVICE"), for messages and -WhatIf.</summary>
    public static string CommandName(byte command) => command switch
    {
        IPVS_CMD_NEW_SERVICE => "IPVS_CMD_NEW_SERVICE",
        IPVS_CMD_SET_SERVICE => "IPVS_CMD_SET_SERVICE",
        IPVS_CMD_DEL_SERVICE => "IPVS_CMD_DEL_SERVICE",
        IPVS_CMD_GET_SERVICE => "IPVS_CMD_GET_SERVICE",
        IPVS_CMD_NEW_DEST => "IPVS_CMD_NEW_DEST",
        IPVS_CMD_SET_DEST => "IPVS_CMD_SET_DEST",
        IPVS_CMD_DEL_DEST => "IPVS_CMD_DEL_DEST",
        IPVS_CMD_GET_DEST => "IPVS_CMD_GET_DEST",
        IPVS_CMD_NEW_DAEMON => "IPVS_CMD_NEW_DAEMON",
        IPVS_CMD_DEL_DAEMON => "IPVS_CMD_DEL_DAEMON",
        IPVS_CMD_GET_DAEMON => "IPVS_CMD_GET_DAEMON",
        IPVS_CMD_SET_CONFIG => "IPVS_CMD_SET_CONFIG",
        IPVS_CMD_GET_CONFIG => "IPVS_CMD_GET_CONFIG",
        IPVS_CMD_SET_INFO => "IPVS_CMD_SET_INFO",
        IPVS_CMD_GET_INFO => "IPVS_CMD_GET_INFO",
        IPVS_CMD_ZERO => "IPVS_CMD_ZERO",
        IPVS_CMD_FLUSH => "IPVS_CMD_FLUSH",
        _ => $"IPVS_CMD_{command}",
    };

    // ---- encodings particular to IPVS ----

    /// <summary>The address family number of an <see cref="IPFamily"/> (AF_INET 2, AF_INET6 10).</summary>
    public static ushort Af(IPFamily family) => (ushort)family;

    /// <summary>The <see cref="IPFamily"/> of an AF number; a protocol error for anything but 2 and 10.</summary>
    public static IPFamily FamilyOf(ushort af) => af switch
    {
        2 => IPFamily.IPv4,
        10 => IPFamily.IPv6,
        _ => throw new NetlinkProtocolException($"IPVS: address family {af} is neither AF_INET nor AF_INET6"),
    };

    /// <summary>The family of an address.</summary>
    public static IPFamily FamilyOf(IPAddress address) => IPFamilies.Of(address);

    /// <summary>Writes an address as union nf_inet_addr: always 16 bytes, IPv4 in the first 4, the rest zero.</summary>
    public static void WriteAddress(NetlinkWriter w, ushort type, IPAddress address) => w.Address(type, address, 16);

    /// <summary>Reads the genlmsghdr of an IPVS message: returns its command and sets the attributes after it.</summary>
    public static byte SplitGenl(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> attributes)
    {
        if (payload.Length < GenericNetlink.HeaderSize)
            throw new NetlinkProtocolException($"IPVS message of {payload.Length} bytes has no genlmsghdr");
        attributes = payload[GenericNetlink.HeaderSize..];
        return payload[0];
    }

    /// <summary>The value of the first top-level attribute of <paramref name="type"/>, or an empty span with found = false.</summary>
    internal static bool TryFind(ReadOnlySpan<byte> attributes, ushort type, out ReadOnlySpan<byte> value)
    {
        foreach (var a in new NetlinkAttributeReader(attributes))
        {
            if (a.Type == type)
            {
                value = a.Value;
                return true;
            }
        }
        value = default;
        return false;
    }
}
