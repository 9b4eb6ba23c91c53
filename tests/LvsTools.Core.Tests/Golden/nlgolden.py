#!/usr/bin/env python3
"""Golden netlink fixtures for the LvsTools codec tests.

Reads an strace log written with
    strace -f -o TRACE -e trace=socket,sendmsg,recvmsg,sendto,recvfrom -e read=all -e write=all -xx -s 65535 CMD
(the `-e read/write` hex dumps are the exact bytes of every netlink buffer), splits the buffers into netlink
messages, picks one and writes it as an annotated hex file:

    # comment lines (command, capture method, ...)
    3c 00 00 00                  # nlmsghdr.len = 60
    ...
    08 00 02 00 c0 a8 1f ad      # IFA_LOCAL (2) = 192.168.31.173

Only the hex pairs before a '#' are data: concatenated in file order they are the message, byte for byte.

Commands:
    nlgolden.py list TRACE                      every netlink message in the trace, one line each
    nlgolden.py extract TRACE OUT --dir send|recv --type NAME [--grep TEXT]... [--nth N]
                        --command CMD --captured TEXT [--note TEXT]...
    nlgolden.py check FILE...                   re-parse golden files: hex well-formed, one message, lengths agree
    nlgolden.py check-headers [INCLUDE_DIR]     compare the constant tables below with the kernel UAPI headers

Constants: include/uapi/linux/{netlink,rtnetlink,if_link,if_addr,genetlink,ip_vs}.h (the 6.1 headers of
linux-libc-dev, plus the IFLA_* numbers added up to Linux 6.18), checked by `check-headers`.
"""

import ipaddress
import os
import re
import struct
import sys

# ----------------------------------------------------------------------------------------------------------
# Constants (kernel UAPI headers)
# ----------------------------------------------------------------------------------------------------------

NETLINK_ROUTE = 0
NETLINK_GENERIC = 16

NLMSG_TYPES = {1: "NLMSG_NOOP", 2: "NLMSG_ERROR", 3: "NLMSG_DONE", 4: "NLMSG_OVERRUN"}
NLM_F_LOW = [(0x01, "NLM_F_REQUEST"), (0x02, "NLM_F_MULTI"), (0x04, "NLM_F_ACK"), (0x08, "NLM_F_ECHO"),
             (0x10, "NLM_F_DUMP_INTR"), (0x20, "NLM_F_DUMP_FILTERED")]
NLM_F_GET = [(0x100, "NLM_F_ROOT"), (0x200, "NLM_F_MATCH"), (0x400, "NLM_F_ATOMIC")]
NLM_F_NEW = [(0x100, "NLM_F_REPLACE"), (0x200, "NLM_F_EXCL"), (0x400, "NLM_F_CREATE"), (0x800, "NLM_F_APPEND")]
NLM_F_DELETE = [(0x100, "NLM_F_NONREC"), (0x200, "NLM_F_BULK")]
NLM_F_ACKFLAGS = [(0x100, "NLM_F_CAPPED"), (0x200, "NLM_F_ACK_TLVS")]

RTM_TYPES = {16: "RTM_NEWLINK", 17: "RTM_DELLINK", 18: "RTM_GETLINK", 19: "RTM_SETLINK",
             20: "RTM_NEWADDR", 21: "RTM_DELADDR", 22: "RTM_GETADDR",
             24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE"}

AF = {0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 7: "AF_BRIDGE", 10: "AF_INET6", 16: "AF_NETLINK",
      17: "AF_PACKET", 45: "AF_MCTP"}
ARPHRD = {1: "ARPHRD_ETHER", 772: "ARPHRD_LOOPBACK", 776: "ARPHRD_SIT", 0xFFFE: "ARPHRD_NONE"}
IFF = [(0x1, "IFF_UP"), (0x2, "IFF_BROADCAST"), (0x4, "IFF_DEBUG"), (0x8, "IFF_LOOPBACK"),
       (0x10, "IFF_POINTOPOINT"), (0x20, "IFF_NOTRAILERS"), (0x40, "IFF_RUNNING"), (0x80, "IFF_NOARP"),
       (0x100, "IFF_PROMISC"), (0x200, "IFF_ALLMULTI"), (0x400, "IFF_MASTER"), (0x800, "IFF_SLAVE"),
       (0x1000, "IFF_MULTICAST"), (0x2000, "IFF_PORTSEL"), (0x4000, "IFF_AUTOMEDIA"), (0x8000, "IFF_DYNAMIC"),
       (0x10000, "IFF_LOWER_UP"), (0x20000, "IFF_DORMANT"), (0x40000, "IFF_ECHO")]
IFA_F = [(0x01, "IFA_F_SECONDARY"), (0x02, "IFA_F_NODAD"), (0x04, "IFA_F_OPTIMISTIC"),
         (0x08, "IFA_F_DADFAILED"), (0x10, "IFA_F_HOMEADDRESS"), (0x20, "IFA_F_DEPRECATED"),
         (0x40, "IFA_F_TENTATIVE"), (0x80, "IFA_F_PERMANENT"), (0x100, "IFA_F_MANAGETEMPADDR"),
         (0x200, "IFA_F_NOPREFIXROUTE"), (0x400, "IFA_F_MCAUTOJOIN"), (0x800, "IFA_F_STABLE_PRIVACY")]
RT_SCOPE = {0: "RT_SCOPE_UNIVERSE", 200: "RT_SCOPE_SITE", 253: "RT_SCOPE_LINK", 254: "RT_SCOPE_HOST",
            255: "RT_SCOPE_NOWHERE"}
IF_OPER = {0: "IF_OPER_UNKNOWN", 1: "IF_OPER_NOTPRESENT", 2: "IF_OPER_DOWN", 3: "IF_OPER_LOWERLAYERDOWN",
           4: "IF_OPER_TESTING", 5: "IF_OPER_DORMANT", 6: "IF_OPER_UP"}
RTEXT_FILTER = [(1, "RTEXT_FILTER_VF"), (2, "RTEXT_FILTER_BRVLAN"), (4, "RTEXT_FILTER_BRVLAN_COMPRESSED"),
                (8, "RTEXT_FILTER_SKIP_STATS"), (16, "RTEXT_FILTER_MRP"), (32, "RTEXT_FILTER_CFM_CONFIG"),
                (64, "RTEXT_FILTER_CFM_STATUS"), (128, "RTEXT_FILTER_MST")]

IFA_NAMES = {1: "IFA_ADDRESS", 2: "IFA_LOCAL", 3: "IFA_LABEL", 4: "IFA_BROADCAST", 5: "IFA_ANYCAST",
             6: "IFA_CACHEINFO", 7: "IFA_MULTICAST", 8: "IFA_FLAGS", 9: "IFA_RT_PRIORITY",
             10: "IFA_TARGET_NETNSID", 11: "IFA_PROTO"}

IFLA_NAMES = {
    1: "IFLA_ADDRESS", 2: "IFLA_BROADCAST", 3: "IFLA_IFNAME", 4: "IFLA_MTU", 5: "IFLA_LINK", 6: "IFLA_QDISC",
    7: "IFLA_STATS", 8: "IFLA_COST", 9: "IFLA_PRIORITY", 10: "IFLA_MASTER", 11: "IFLA_WIRELESS",
    12: "IFLA_PROTINFO", 13: "IFLA_TXQLEN", 14: "IFLA_MAP", 15: "IFLA_WEIGHT", 16: "IFLA_OPERSTATE",
    17: "IFLA_LINKMODE", 18: "IFLA_LINKINFO", 19: "IFLA_NET_NS_PID", 20: "IFLA_IFALIAS", 21: "IFLA_NUM_VF",
    22: "IFLA_VFINFO_LIST", 23: "IFLA_STATS64", 24: "IFLA_VF_PORTS", 25: "IFLA_PORT_SELF", 26: "IFLA_AF_SPEC",
    27: "IFLA_GROUP", 28: "IFLA_NET_NS_FD", 29: "IFLA_EXT_MASK", 30: "IFLA_PROMISCUITY",
    31: "IFLA_NUM_TX_QUEUES", 32: "IFLA_NUM_RX_QUEUES", 33: "IFLA_CARRIER", 34: "IFLA_PHYS_PORT_ID",
    35: "IFLA_CARRIER_CHANGES", 36: "IFLA_PHYS_SWITCH_ID", 37: "IFLA_LINK_NETNSID", 38: "IFLA_PHYS_PORT_NAME",
    39: "IFLA_PROTO_DOWN", 40: "IFLA_GSO_MAX_SEGS", 41: "IFLA_GSO_MAX_SIZE", 42: "IFLA_PAD", 43: "IFLA_XDP",
    44: "IFLA_EVENT", 45: "IFLA_NEW_NETNSID", 46: "IFLA_TARGET_NETNSID", 47: "IFLA_CARRIER_UP_COUNT",
    48: "IFLA_CARRIER_DOWN_COUNT", 49: "IFLA_NEW_IFINDEX", 50: "IFLA_MIN_MTU", 51: "IFLA_MAX_MTU",
    52: "IFLA_PROP_LIST", 53: "IFLA_ALT_IFNAME", 54: "IFLA_PERM_ADDRESS", 55: "IFLA_PROTO_DOWN_REASON",
    56: "IFLA_PARENT_DEV_NAME", 57: "IFLA_PARENT_DEV_BUS_NAME", 58: "IFLA_GRO_MAX_SIZE",
    59: "IFLA_TSO_MAX_SIZE", 60: "IFLA_TSO_MAX_SEGS", 61: "IFLA_ALLMULTI",
    # added after 6.1 (torvalds/linux include/uapi/linux/if_link.h):
    62: "IFLA_DEVLINK_PORT", 63: "IFLA_GSO_IPV4_MAX_SIZE", 64: "IFLA_GRO_IPV4_MAX_SIZE", 65: "IFLA_DPLL_PIN",
    66: "IFLA_MAX_PACING_OFFLOAD_HORIZON", 67: "IFLA_NETNS_IMMUTABLE", 68: "IFLA_HEADROOM", 69: "IFLA_TAILROOM",
}
IFLA_INFO_NAMES = {1: "IFLA_INFO_KIND", 2: "IFLA_INFO_DATA", 3: "IFLA_INFO_XSTATS", 4: "IFLA_INFO_SLAVE_KIND",
                   5: "IFLA_INFO_SLAVE_DATA"}
IFLA_XDP_NAMES = {1: "IFLA_XDP_FD", 2: "IFLA_XDP_ATTACHED", 3: "IFLA_XDP_FLAGS", 4: "IFLA_XDP_PROG_ID",
                  5: "IFLA_XDP_DRV_PROG_ID", 6: "IFLA_XDP_SKB_PROG_ID", 7: "IFLA_XDP_HW_PROG_ID",
                  8: "IFLA_XDP_EXPECTED_FD"}
IFLA_INET_NAMES = {1: "IFLA_INET_CONF"}
IFLA_INET6_NAMES = {1: "IFLA_INET6_FLAGS", 2: "IFLA_INET6_CONF", 3: "IFLA_INET6_STATS", 4: "IFLA_INET6_MCAST",
                    5: "IFLA_INET6_CACHEINFO", 6: "IFLA_INET6_ICMP6STATS", 7: "IFLA_INET6_TOKEN",
                    8: "IFLA_INET6_ADDR_GEN_MODE", 9: "IFLA_INET6_RA_MTU"}
LINK_STATS_FIELDS = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
                     "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors", "rx_over_errors",
                     "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors", "rx_missed_errors",
                     "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors", "tx_heartbeat_errors",
                     "tx_window_errors", "rx_compressed", "tx_compressed", "rx_nohandler",
                     "rx_otherhost_dropped"]

GENL_ID_CTRL = 0x10
CTRL_CMDS = {0: "CTRL_CMD_UNSPEC", 1: "CTRL_CMD_NEWFAMILY", 2: "CTRL_CMD_DELFAMILY", 3: "CTRL_CMD_GETFAMILY",
             4: "CTRL_CMD_NEWOPS", 5: "CTRL_CMD_DELOPS", 6: "CTRL_CMD_GETOPS", 7: "CTRL_CMD_NEWMCAST_GRP",
             8: "CTRL_CMD_DELMCAST_GRP", 9: "CTRL_CMD_GETMCAST_GRP", 10: "CTRL_CMD_GETPOLICY"}
CTRL_ATTR_NAMES = {1: "CTRL_ATTR_FAMILY_ID", 2: "CTRL_ATTR_FAMILY_NAME", 3: "CTRL_ATTR_VERSION",
                   4: "CTRL_ATTR_HDRSIZE", 5: "CTRL_ATTR_MAXATTR", 6: "CTRL_ATTR_OPS",
                   7: "CTRL_ATTR_MCAST_GROUPS", 8: "CTRL_ATTR_POLICY", 9: "CTRL_ATTR_OP_POLICY",
                   10: "CTRL_ATTR_OP"}
CTRL_ATTR_OP_NAMES = {1: "CTRL_ATTR_OP_ID", 2: "CTRL_ATTR_OP_FLAGS"}
CTRL_ATTR_MCAST_GRP_NAMES = {1: "CTRL_ATTR_MCAST_GRP_NAME", 2: "CTRL_ATTR_MCAST_GRP_ID"}
GENL_OP_FLAGS = [(0x01, "GENL_ADMIN_PERM"), (0x02, "GENL_CMD_CAP_DO"), (0x04, "GENL_CMD_CAP_DUMP"),
                 (0x08, "GENL_CMD_CAP_HASPOL"), (0x10, "GENL_UNS_ADMIN_PERM")]

IPVS_CMDS = {0: "IPVS_CMD_UNSPEC", 1: "IPVS_CMD_NEW_SERVICE", 2: "IPVS_CMD_SET_SERVICE",
             3: "IPVS_CMD_DEL_SERVICE", 4: "IPVS_CMD_GET_SERVICE", 5: "IPVS_CMD_NEW_DEST", 6: "IPVS_CMD_SET_DEST",
             7: "IPVS_CMD_DEL_DEST", 8: "IPVS_CMD_GET_DEST", 9: "IPVS_CMD_NEW_DAEMON", 10: "IPVS_CMD_DEL_DAEMON",
             11: "IPVS_CMD_GET_DAEMON", 12: "IPVS_CMD_SET_CONFIG", 13: "IPVS_CMD_GET_CONFIG",
             14: "IPVS_CMD_SET_INFO", 15: "IPVS_CMD_GET_INFO", 16: "IPVS_CMD_ZERO", 17: "IPVS_CMD_FLUSH"}
IPVS_CMD_ATTR_NAMES = {1: "IPVS_CMD_ATTR_SERVICE", 2: "IPVS_CMD_ATTR_DEST", 3: "IPVS_CMD_ATTR_DAEMON",
                       4: "IPVS_CMD_ATTR_TIMEOUT_TCP", 5: "IPVS_CMD_ATTR_TIMEOUT_TCP_FIN",
                       6: "IPVS_CMD_ATTR_TIMEOUT_UDP"}
IPVS_SVC_ATTR_NAMES = {1: "IPVS_SVC_ATTR_AF", 2: "IPVS_SVC_ATTR_PROTOCOL", 3: "IPVS_SVC_ATTR_ADDR",
                       4: "IPVS_SVC_ATTR_PORT", 5: "IPVS_SVC_ATTR_FWMARK", 6: "IPVS_SVC_ATTR_SCHED_NAME",
                       7: "IPVS_SVC_ATTR_FLAGS", 8: "IPVS_SVC_ATTR_TIMEOUT", 9: "IPVS_SVC_ATTR_NETMASK",
                       10: "IPVS_SVC_ATTR_STATS", 11: "IPVS_SVC_ATTR_PE_NAME", 12: "IPVS_SVC_ATTR_STATS64"}
IPVS_DEST_ATTR_NAMES = {1: "IPVS_DEST_ATTR_ADDR", 2: "IPVS_DEST_ATTR_PORT", 3: "IPVS_DEST_ATTR_FWD_METHOD",
                        4: "IPVS_DEST_ATTR_WEIGHT", 5: "IPVS_DEST_ATTR_U_THRESH", 6: "IPVS_DEST_ATTR_L_THRESH",
                        7: "IPVS_DEST_ATTR_ACTIVE_CONNS", 8: "IPVS_DEST_ATTR_INACT_CONNS",
                        9: "IPVS_DEST_ATTR_PERSIST_CONNS", 10: "IPVS_DEST_ATTR_STATS",
                        11: "IPVS_DEST_ATTR_ADDR_FAMILY", 12: "IPVS_DEST_ATTR_STATS64",
                        13: "IPVS_DEST_ATTR_TUN_TYPE", 14: "IPVS_DEST_ATTR_TUN_PORT", 15: "IPVS_DEST_ATTR_TUN_FLAGS"}
IPVS_DAEMON_ATTR_NAMES = {1: "IPVS_DAEMON_ATTR_STATE", 2: "IPVS_DAEMON_ATTR_MCAST_IFN",
                          3: "IPVS_DAEMON_ATTR_SYNC_ID", 4: "IPVS_DAEMON_ATTR_SYNC_MAXLEN",
                          5: "IPVS_DAEMON_ATTR_MCAST_GROUP", 6: "IPVS_DAEMON_ATTR_MCAST_GROUP6",
                          7: "IPVS_DAEMON_ATTR_MCAST_PORT", 8: "IPVS_DAEMON_ATTR_MCAST_TTL"}
IPVS_STATS_ATTR_NAMES = {1: "IPVS_STATS_ATTR_CONNS", 2: "IPVS_STATS_ATTR_INPKTS", 3: "IPVS_STATS_ATTR_OUTPKTS",
                         4: "IPVS_STATS_ATTR_INBYTES", 5: "IPVS_STATS_ATTR_OUTBYTES", 6: "IPVS_STATS_ATTR_CPS",
                         7: "IPVS_STATS_ATTR_INPPS", 8: "IPVS_STATS_ATTR_OUTPPS", 9: "IPVS_STATS_ATTR_INBPS",
                         10: "IPVS_STATS_ATTR_OUTBPS", 11: "IPVS_STATS_ATTR_PAD"}
IPVS_INFO_ATTR_NAMES = {1: "IPVS_INFO_ATTR_VERSION", 2: "IPVS_INFO_ATTR_CONN_TAB_SIZE"}
IP_VS_SVC_F = [(0x1, "IP_VS_SVC_F_PERSISTENT"), (0x2, "IP_VS_SVC_F_HASHED"), (0x4, "IP_VS_SVC_F_ONEPACKET"),
               (0x8, "IP_VS_SVC_F_SCHED1"), (0x10, "IP_VS_SVC_F_SCHED2"), (0x20, "IP_VS_SVC_F_SCHED3")]
IP_VS_CONN_F_FWD = {0: "IP_VS_CONN_F_MASQ", 1: "IP_VS_CONN_F_LOCALNODE", 2: "IP_VS_CONN_F_TUNNEL",
                    3: "IP_VS_CONN_F_DROUTE", 4: "IP_VS_CONN_F_BYPASS"}
IP_VS_CONN_F_TUNNEL_TYPE = {0: "IP_VS_CONN_F_TUNNEL_TYPE_IPIP", 1: "IP_VS_CONN_F_TUNNEL_TYPE_GUE",
                            2: "IP_VS_CONN_F_TUNNEL_TYPE_GRE"}
IP_VS_TUNNEL_ENCAP_FLAG = [(0x1, "IP_VS_TUNNEL_ENCAP_FLAG_CSUM"), (0x2, "IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM")]
IP_VS_STATE = {0: "IP_VS_STATE_NONE", 1: "IP_VS_STATE_MASTER", 2: "IP_VS_STATE_BACKUP"}
IPPROTO = {6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 132: "IPPROTO_SCTP", 50: "IPPROTO_ESP", 51: "IPPROTO_AH"}
NLMSGERR_ATTR_NAMES = {1: "NLMSGERR_ATTR_MSG", 2: "NLMSGERR_ATTR_OFFS", 3: "NLMSGERR_ATTR_COOKIE",
                       4: "NLMSGERR_ATTR_POLICY", 5: "NLMSGERR_ATTR_MISS_TYPE", 6: "NLMSGERR_ATTR_MISS_NEST"}
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = 0x3FFF

ERRNO = {0: "success", 1: "EPERM", 2: "ENOENT", 3: "ESRCH", 12: "ENOMEM", 13: "EACCES", 16: "EBUSY",
         17: "EEXIST", 19: "ENODEV", 22: "EINVAL", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 105: "ENOBUFS"}


def flag_names(value, table):
    if value == 0xFFFFFFFF:
        return "all bits set"
    names = [n for bit, n in table if value & bit]
    rest = value & ~sum(bit for bit, _ in table)
    if rest:
        names.append("0x%x" % rest)
    return "|".join(names) if names else "0"


def enum_name(value, table):
    return "%d (%s)" % (value, table[value]) if value in table else "%d" % value


def u8(b, o=0):
    return b[o]


def u16(b, o=0):
    return struct.unpack_from("<H", b, o)[0]


def be16(b, o=0):
    return struct.unpack_from(">H", b, o)[0]


def u32(b, o=0):
    return struct.unpack_from("<I", b, o)[0]


def s32(b, o=0):
    return struct.unpack_from("<i", b, o)[0]


def u64(b, o=0):
    return struct.unpack_from("<Q", b, o)[0]


def cstring(b):
    s = b.split(b"\0", 1)[0]
    return '"%s"' % s.decode("utf-8", "backslashreplace")


def hexs(b):
    return " ".join("%02x" % x for x in b)


def ip_str(b, family=None):
    if family == 2 or (family is None and len(b) == 4):
        return str(ipaddress.IPv4Address(bytes(b[:4])))
    if family == 10 or (family is None and len(b) == 16):
        return str(ipaddress.IPv6Address(bytes(b[:16])))
    return hexs(b)


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def int_by_len(b):
    if len(b) == 1:
        return u8(b)
    if len(b) == 2:
        return u16(b)
    if len(b) == 4:
        return u32(b)
    if len(b) == 8:
        return u64(b)
    return None


# ----------------------------------------------------------------------------------------------------------
# Rendering: a list of (indent, bytes, annotation); the concatenation of the bytes is the message.
# ----------------------------------------------------------------------------------------------------------

class Out:
    def __init__(self):
        self.lines = []

    def add(self, indent, data, note):
        self.lines.append((indent, bytes(data), note))

    def total(self):
        return b"".join(d for _, d, _ in self.lines)


def pad_len(n):
    return (4 - n % 4) % 4


def emit_leaf(out, ind, hdr, payload, padding, label, value):
    note = "%s = %s" % (label, value) if value is not None else label
    if padding:
        note += "  (+%d pad)" % len(padding)
    out.add(ind, hdr + payload + padding, note)


def emit_chunks(out, ind, payload, label, unit=None, names=None, width=16):
    """Long binary payloads: several lines of up to `width` bytes (or one line per field)."""
    if unit:
        fmt = {4: "<I", 8: "<Q"}[unit]
        per_line = 1 if names else max(1, width // unit)
        i = 0
        while i < len(payload) // unit:
            chunk = payload[i * unit:(i + per_line) * unit]
            vals = [struct.unpack_from(fmt, chunk, k * unit)[0] for k in range(len(chunk) // unit)]
            if names:
                nm = names[i] if i < len(names) else "[%d]" % i
                out.add(ind, chunk, "%s.%s = %d" % (label, nm, vals[0]))
            else:
                out.add(ind, chunk, "%s[%d..%d] = %s" % (label, i, i + len(vals) - 1,
                                                         ", ".join(str(v) for v in vals)))
            i += len(vals)
        rest = payload[(len(payload) // unit) * unit:]
        if rest:
            out.add(ind, rest, "%s: trailing bytes" % label)
    else:
        for i in range(0, len(payload), width):
            out.add(ind, payload[i:i + width], "%s bytes %d..%d" % (label, i, min(len(payload), i + width) - 1))


class Ctx:
    """Decoding context: protocol, generic netlink family map, address family of the current object."""

    def __init__(self, proto, families):
        self.proto = proto
        self.families = families  # id -> name
        self.family_name = None   # genl family of the message being decoded
        self.af = None


def attr_iter(buf):
    o = 0
    while o + 4 <= len(buf):
        ln, typ = struct.unpack_from("<HH", buf, o)
        if ln < 4:
            raise ValueError("bad attribute length %d at offset %d" % (ln, o))
        end = o + ln
        if end > len(buf):
            raise ValueError("attribute at %d overruns its container (%d > %d)" % (o, end, len(buf)))
        padded = min(len(buf), end + pad_len(ln))
        yield buf[o:o + 4], ln, typ, buf[o + 4:end], buf[end:padded]
        o = padded
    if o != len(buf):
        raise ValueError("%d stray bytes after the last attribute" % (len(buf) - o))


def attr_label(names, typ):
    t = typ & NLA_TYPE_MASK
    name = names.get(t, "attr") if names else "attr"
    extra = []
    if typ & NLA_F_NESTED:
        extra.append("NLA_F_NESTED")
    if typ & NLA_F_NET_BYTEORDER:
        extra.append("NLA_F_NET_BYTEORDER")
    s = "%s (type %d%s)" % (name, t, (", " + "|".join(extra)) if extra else "")
    return s


def decode_attrs(out, ind, buf, decoder, ctx):
    for hdr, ln, typ, payload, padding in attr_iter(buf):
        decoder(out, ind, hdr, ln, typ, payload, padding, ctx)


def nest_header(out, ind, hdr, ln, typ, names, what=""):
    out.add(ind, hdr, "%s, nested, len %d%s" % (attr_label(names, typ), ln, what))


def generic_attr(out, ind, hdr, ln, typ, payload, padding, names):
    label = attr_label(names, typ)
    if typ & NLA_F_NESTED:
        nest_header(out, ind, hdr, ln, typ, names)
        decode_attrs(out, ind + 1, payload, lambda *a: generic_attr(*a[:7], None), None)
        if padding:
            out.add(ind, padding, "padding")
        return
    v = int_by_len(payload)
    if len(payload) == 0:
        emit_leaf(out, ind, hdr, payload, padding, label + ", empty", None)
    elif len(payload) <= 16:
        emit_leaf(out, ind, hdr, payload, padding, label, "%d" % v if v is not None else "%d bytes" % len(payload))
    else:
        out.add(ind, hdr, "%s, len %d (payload below)" % (label, ln))
        emit_chunks(out, ind + 1, payload, label.split(" ")[0])
        if padding:
            out.add(ind + 1, padding, "padding")


# --- rtnetlink: addresses -----------------------------------------------------------------------------------

def ifa_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IFA_NAMES, typ)
    if t in (1, 2, 4, 5, 7):
        emit_leaf(out, ind, hdr, p, pad, label, ip_str(p, ctx.af))
    elif t == 3:
        emit_leaf(out, ind, hdr, p, pad, label, cstring(p))
    elif t == 6 and len(p) == 16:
        out.add(ind, hdr, "%s, struct ifa_cacheinfo, len %d" % (label, ln))
        for i, n in enumerate(["ifa_prefered", "ifa_valid", "cstamp", "tstamp"]):
            v = u32(p, 4 * i)
            extra = " (forever)" if v == 0xFFFFFFFF else ""
            out.add(ind + 1, p[4 * i:4 * i + 4], "ifa_cacheinfo.%s = %d%s" % (n, v, extra))
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t == 8 and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "0x%08x (%s)" % (u32(p), flag_names(u32(p), IFA_F)))
    elif t in (9,) and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u32(p))
    elif t == 11 and len(p) == 1:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u8(p))
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IFA_NAMES)


def decode_ifaddrmsg(out, body, ctx):
    fam, plen, flags, scope, index = struct.unpack_from("<BBBBi", body, 0)
    ctx.af = fam
    out.add(0, body[0:1], "ifaddrmsg.ifa_family = %s" % enum_name(fam, AF))
    out.add(0, body[1:2], "ifaddrmsg.ifa_prefixlen = %d" % plen)
    out.add(0, body[2:3], "ifaddrmsg.ifa_flags = 0x%02x (%s)" % (flags, flag_names(flags, IFA_F)))
    out.add(0, body[3:4], "ifaddrmsg.ifa_scope = %s" % enum_name(scope, RT_SCOPE))
    out.add(0, body[4:8], "ifaddrmsg.ifa_index = %d" % index)
    decode_attrs(out, 0, body[8:], ifa_attr, ctx)


# --- rtnetlink: links ---------------------------------------------------------------------------------------

def inet_af_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    label = attr_label(IFLA_INET_NAMES, typ)
    out.add(ind, hdr, "%s, u32 array of %d (ipv4_devconf), len %d" % (label, len(p) // 4, ln))
    emit_chunks(out, ind + 1, p, "IFLA_INET_CONF", unit=4)
    if pad:
        out.add(ind + 1, pad, "padding")


def inet6_af_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IFLA_INET6_NAMES, typ)
    if t == 1 and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "0x%08x" % u32(p))
    elif t == 8 and len(p) == 1:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u8(p))
    elif t == 9 and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u32(p))
    elif t == 7 and len(p) == 16:
        emit_leaf(out, ind, hdr, p, pad, label, ip_str(p, 10))
    elif t == 5 and len(p) == 16:
        out.add(ind, hdr, "%s, struct ifla_cacheinfo, len %d" % (label, ln))
        for i, n in enumerate(["max_reasm_len", "tstamp", "reachable_time", "retrans_time"]):
            out.add(ind + 1, p[4 * i:4 * i + 4], "ifla_cacheinfo.%s = %d" % (n, u32(p, 4 * i)))
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t in (2, 5):
        out.add(ind, hdr, "%s, u32 array of %d, len %d" % (label, len(p) // 4, ln))
        emit_chunks(out, ind + 1, p, IFLA_INET6_NAMES[t], unit=4)
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t in (3, 6):
        out.add(ind, hdr, "%s, u64 array of %d, len %d" % (label, len(p) // 8, ln))
        emit_chunks(out, ind + 1, p, IFLA_INET6_NAMES[t], unit=8)
        if pad:
            out.add(ind + 1, pad, "padding")
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IFLA_INET6_NAMES)


def af_spec_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    out.add(ind, hdr, "IFLA_AF_SPEC entry for %s, nested, len %d" % (enum_name(t, AF), ln))
    if t == 2:
        decode_attrs(out, ind + 1, p, inet_af_attr, ctx)
    elif t == 10:
        decode_attrs(out, ind + 1, p, inet6_af_attr, ctx)
    else:
        decode_attrs(out, ind + 1, p, lambda *a: generic_attr(*a[:7], None), ctx)
    if pad:
        out.add(ind, pad, "padding")


def linkinfo_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IFLA_INFO_NAMES, typ)
    if t in (1, 4):
        emit_leaf(out, ind, hdr, p, pad, label, cstring(p))
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IFLA_INFO_NAMES)


def ifla_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IFLA_NAMES, typ)
    u32_attrs = {4, 5, 10, 13, 19, 21, 27, 30, 31, 32, 35, 40, 41, 47, 48, 49, 50, 51, 58, 59, 60, 61, 63, 64}
    u8_attrs = {17, 33, 39, 67}
    if t in (1, 2, 54):
        emit_leaf(out, ind, hdr, p, pad, label, mac_str(p))
    elif t in (3, 6, 20, 38, 53, 56, 57):
        emit_leaf(out, ind, hdr, p, pad, label, cstring(p))
    elif t in u32_attrs and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u32(p))
    elif t in u8_attrs and len(p) == 1:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u8(p))
    elif t in (68, 69) and len(p) == 2:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u16(p))
    elif t in (37, 45, 46) and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % s32(p))
    elif t == 16 and len(p) == 1:
        emit_leaf(out, ind, hdr, p, pad, label, enum_name(u8(p), IF_OPER))
    elif t == 29 and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "0x%08x (%s)" % (u32(p), flag_names(u32(p), RTEXT_FILTER)))
    elif t == 66 and len(p) in (4, 8):
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % int_by_len(p))
    elif t == 23:
        out.add(ind, hdr, "%s, struct rtnl_link_stats64 (%d x u64), len %d" % (label, len(p) // 8, ln))
        emit_chunks(out, ind + 1, p, "rtnl_link_stats64", unit=8, names=LINK_STATS_FIELDS)
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t == 7:
        out.add(ind, hdr, "%s, struct rtnl_link_stats (%d x u32), len %d" % (label, len(p) // 4, ln))
        emit_chunks(out, ind + 1, p, "rtnl_link_stats", unit=4, names=LINK_STATS_FIELDS)
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t == 14 and len(p) >= 28:
        out.add(ind, hdr, "%s, struct rtnl_link_ifmap, len %d" % (label, ln))
        out.add(ind + 1, p[0:8], "rtnl_link_ifmap.mem_start = %d" % u64(p, 0))
        out.add(ind + 1, p[8:16], "rtnl_link_ifmap.mem_end = %d" % u64(p, 8))
        out.add(ind + 1, p[16:24], "rtnl_link_ifmap.base_addr = %d" % u64(p, 16))
        out.add(ind + 1, p[24:26], "rtnl_link_ifmap.irq = %d" % u16(p, 24))
        out.add(ind + 1, p[26:27], "rtnl_link_ifmap.dma = %d" % p[26])
        out.add(ind + 1, p[27:28], "rtnl_link_ifmap.port = %d" % p[27])
        if len(p) > 28:
            out.add(ind + 1, p[28:], "struct padding")
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t == 18:
        nest_header(out, ind, hdr, ln, typ, IFLA_NAMES)
        decode_attrs(out, ind + 1, p, linkinfo_attr, ctx)
    elif t == 43:
        nest_header(out, ind, hdr, ln, typ, IFLA_NAMES)
        decode_attrs(out, ind + 1, p, lambda o, i, h, l, ty, pp, pd, c: (
            emit_leaf(o, i, h, pp, pd, attr_label(IFLA_XDP_NAMES, ty), "%d" % int_by_len(pp))
            if int_by_len(pp) is not None else generic_attr(o, i, h, l, ty, pp, pd, IFLA_XDP_NAMES)), ctx)
    elif t == 26:
        nest_header(out, ind, hdr, ln, typ, IFLA_NAMES)
        decode_attrs(out, ind + 1, p, af_spec_attr, ctx)
    elif t == 52:
        nest_header(out, ind, hdr, ln, typ, IFLA_NAMES)
        decode_attrs(out, ind + 1, p, lambda o, i, h, l, ty, pp, pd, c: emit_leaf(
            o, i, h, pp, pd, attr_label({53: "IFLA_ALT_IFNAME"}, ty), cstring(pp)), ctx)
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IFLA_NAMES)


def decode_ifinfomsg(out, body, ctx):
    fam, _pad, typ, index, flags, change = struct.unpack_from("<BBHiII", body, 0)
    out.add(0, body[0:1], "ifinfomsg.ifi_family = %s" % enum_name(fam, AF))
    out.add(0, body[1:2], "ifinfomsg.__ifi_pad = %d" % _pad)
    out.add(0, body[2:4], "ifinfomsg.ifi_type = %s" % enum_name(typ, ARPHRD))
    out.add(0, body[4:8], "ifinfomsg.ifi_index = %d" % index)
    out.add(0, body[8:12], "ifinfomsg.ifi_flags = 0x%08x (%s)" % (flags, flag_names(flags, IFF)))
    out.add(0, body[12:16], "ifinfomsg.ifi_change = 0x%08x" % change)
    decode_attrs(out, 0, body[16:], ifla_attr, ctx)


# --- generic netlink: nlctrl --------------------------------------------------------------------------------

def ctrl_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(CTRL_ATTR_NAMES, typ)
    if t == 1 and len(p) == 2:
        emit_leaf(out, ind, hdr, p, pad, label, "%d (0x%x)" % (u16(p), u16(p)))
    elif t == 2:
        ctx.ctrl_family = p.split(b"\0", 1)[0].decode()
        emit_leaf(out, ind, hdr, p, pad, label, cstring(p))
    elif t in (3, 4, 5) and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label, "%d" % u32(p))
    elif t == 6:
        nest_header(out, ind, hdr, ln, typ, CTRL_ATTR_NAMES)
        for h2, l2, t2, p2, pad2 in attr_iter(p):
            out.add(ind + 1, h2, "operation #%d, nested, len %d" % (t2 & NLA_TYPE_MASK, l2))
            for h3, l3, t3, p3, pad3 in attr_iter(p2):
                lab = attr_label(CTRL_ATTR_OP_NAMES, t3)
                v = u32(p3)
                if (t3 & NLA_TYPE_MASK) == 1:
                    cmds = IPVS_CMDS if getattr(ctx, "ctrl_family", None) == "IPVS" else CTRL_CMDS \
                        if getattr(ctx, "ctrl_family", None) == "nlctrl" else {}
                    emit_leaf(out, ind + 2, h3, p3, pad3, lab, enum_name(v, cmds))
                else:
                    emit_leaf(out, ind + 2, h3, p3, pad3, lab, "0x%x (%s)" % (v, flag_names(v, GENL_OP_FLAGS)))
            if pad2:
                out.add(ind + 1, pad2, "padding")
    elif t == 7:
        nest_header(out, ind, hdr, ln, typ, CTRL_ATTR_NAMES)
        for h2, l2, t2, p2, pad2 in attr_iter(p):
            out.add(ind + 1, h2, "multicast group #%d, nested, len %d" % (t2 & NLA_TYPE_MASK, l2))
            for h3, l3, t3, p3, pad3 in attr_iter(p2):
                lab = attr_label(CTRL_ATTR_MCAST_GRP_NAMES, t3)
                if (t3 & NLA_TYPE_MASK) == 1:
                    emit_leaf(out, ind + 2, h3, p3, pad3, lab, cstring(p3))
                else:
                    emit_leaf(out, ind + 2, h3, p3, pad3, lab, "%d" % u32(p3))
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, CTRL_ATTR_NAMES)


# --- generic netlink: IPVS ----------------------------------------------------------------------------------

def prescan_u16(buf, want_type):
    try:
        for _h, _l, typ, p, _pad in attr_iter(buf):
            if (typ & NLA_TYPE_MASK) == want_type and len(p) == 2:
                return u16(p)
    except ValueError:
        pass
    return None


def ipvs_stats_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IPVS_STATS_ATTR_NAMES, typ)
    if t == 11:
        emit_leaf(out, ind, hdr, p, pad, label + " (alignment for the next u64)", None)
    else:
        v = int_by_len(p)
        kind = {4: "u32", 8: "u64"}.get(len(p), "?")
        emit_leaf(out, ind, hdr, p, pad, "%s %s" % (label, kind), "%d" % v if v is not None else hexs(p))


def ipvs_addr(p, af):
    if af == 2 and len(p) == 16:
        return "%s (+12 zero bytes)" % ip_str(p[:4], 2) if p[4:] == bytes(12) else "%s + %s" % (
            ip_str(p[:4], 2), hexs(p[4:]))
    if af == 2 and len(p) == 4:
        return ip_str(p, 2)
    if af == 10 and len(p) == 16:
        return ip_str(p, 10)
    return hexs(p)


def ipvs_svc_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IPVS_SVC_ATTR_NAMES, typ)
    af = ctx.af
    if t == 1:
        emit_leaf(out, ind, hdr, p, pad, label + " u16", enum_name(u16(p), AF))
    elif t == 2:
        emit_leaf(out, ind, hdr, p, pad, label + " u16", enum_name(u16(p), IPPROTO))
    elif t == 3:
        emit_leaf(out, ind, hdr, p, pad, label, ipvs_addr(p, af))
    elif t == 4:
        emit_leaf(out, ind, hdr, p, pad, label + " be16", "%d (network byte order)" % be16(p))
    elif t in (5, 8):
        emit_leaf(out, ind, hdr, p, pad, label + " u32", "%d" % u32(p))
    elif t in (6, 11):
        emit_leaf(out, ind, hdr, p, pad, label, cstring(p) + " (NUL-terminated)")
    elif t == 7 and len(p) == 8:
        out.add(ind, hdr, "%s, struct ip_vs_flags, len %d" % (label, ln))
        out.add(ind + 1, p[0:4], "ip_vs_flags.flags = 0x%08x (%s)" % (u32(p), flag_names(u32(p), IP_VS_SVC_F)))
        out.add(ind + 1, p[4:8], "ip_vs_flags.mask = 0x%08x (%s)" % (u32(p, 4), flag_names(u32(p, 4), IP_VS_SVC_F)))
        if pad:
            out.add(ind + 1, pad, "padding")
    elif t == 9 and len(p) == 4:
        if af == 10:
            emit_leaf(out, ind, hdr, p, pad, label + " u32", "%d (IPv6 prefix length)" % u32(p))
        else:
            emit_leaf(out, ind, hdr, p, pad, label + " be32", "%s (IPv4 mask, network byte order)" % ip_str(p, 2))
    elif t in (10, 12):
        nest_header(out, ind, hdr, ln, typ, IPVS_SVC_ATTR_NAMES)
        decode_attrs(out, ind + 1, p, ipvs_stats_attr, ctx)
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IPVS_SVC_ATTR_NAMES)


def ipvs_dest_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IPVS_DEST_ATTR_NAMES, typ)
    if t == 1:
        emit_leaf(out, ind, hdr, p, pad, label, ipvs_addr(p, ctx.af))
    elif t in (2, 14):
        emit_leaf(out, ind, hdr, p, pad, label + " be16", "%d (network byte order)" % be16(p))
    elif t == 3:
        v = u32(p)
        emit_leaf(out, ind, hdr, p, pad, label + " u32", enum_name(v, IP_VS_CONN_F_FWD))
    elif t in (4, 5, 6, 7, 8, 9):
        emit_leaf(out, ind, hdr, p, pad, label + " u32", "%d" % u32(p))
    elif t == 11:
        emit_leaf(out, ind, hdr, p, pad, label + " u16", enum_name(u16(p), AF))
    elif t == 13:
        emit_leaf(out, ind, hdr, p, pad, label + " u8", enum_name(u8(p), IP_VS_CONN_F_TUNNEL_TYPE))
    elif t == 15:
        v = u16(p)
        emit_leaf(out, ind, hdr, p, pad, label + " u16",
                  "0x%04x (%s)" % (v, flag_names(v, IP_VS_TUNNEL_ENCAP_FLAG) if v else "IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM"))
    elif t in (10, 12):
        nest_header(out, ind, hdr, ln, typ, IPVS_DEST_ATTR_NAMES)
        decode_attrs(out, ind + 1, p, ipvs_stats_attr, ctx)
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IPVS_DEST_ATTR_NAMES)


def ipvs_daemon_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IPVS_DAEMON_ATTR_NAMES, typ)
    if t == 1:
        emit_leaf(out, ind, hdr, p, pad, label + " u32", enum_name(u32(p), IP_VS_STATE))
    elif t == 2:
        emit_leaf(out, ind, hdr, p, pad, label, cstring(p) + " (NUL-terminated)")
    elif t == 3:
        emit_leaf(out, ind, hdr, p, pad, label + " u32", "%d" % u32(p))
    elif t in (4, 7) and len(p) == 2:
        emit_leaf(out, ind, hdr, p, pad, label + " u16", "%d" % u16(p))
    elif t == 5 and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label + " be32 (in_addr)", ip_str(p, 2))
    elif t == 6 and len(p) == 16:
        emit_leaf(out, ind, hdr, p, pad, label + " (in6_addr)", ip_str(p, 10))
    elif t == 8 and len(p) == 1:
        emit_leaf(out, ind, hdr, p, pad, label + " u8", "%d" % u8(p))
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IPVS_DAEMON_ATTR_NAMES)


def ipvs_cmd_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IPVS_CMD_ATTR_NAMES, typ)
    if t == 1:
        nest_header(out, ind, hdr, ln, typ, IPVS_CMD_ATTR_NAMES)
        saved = ctx.af
        ctx.af = prescan_u16(p, 1)
        ctx.svc_af = ctx.af
        decode_attrs(out, ind + 1, p, ipvs_svc_attr, ctx)
        ctx.af = saved
    elif t == 2:
        nest_header(out, ind, hdr, ln, typ, IPVS_CMD_ATTR_NAMES)
        saved = ctx.af
        ctx.af = prescan_u16(p, 11) or getattr(ctx, "svc_af", None)
        decode_attrs(out, ind + 1, p, ipvs_dest_attr, ctx)
        ctx.af = saved
    elif t == 3:
        nest_header(out, ind, hdr, ln, typ, IPVS_CMD_ATTR_NAMES)
        decode_attrs(out, ind + 1, p, ipvs_daemon_attr, ctx)
    elif t in (4, 5, 6) and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label + " u32", "%d s" % u32(p))
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IPVS_CMD_ATTR_NAMES)


def ipvs_info_attr(out, ind, hdr, ln, typ, p, pad, ctx):
    t = typ & NLA_TYPE_MASK
    label = attr_label(IPVS_INFO_ATTR_NAMES, typ)
    if t == 1 and len(p) == 4:
        v = u32(p)
        emit_leaf(out, ind, hdr, p, pad, label + " u32", "0x%06x (%d.%d.%d)" % (v, v >> 16, (v >> 8) & 0xFF, v & 0xFF))
    elif t == 2 and len(p) == 4:
        emit_leaf(out, ind, hdr, p, pad, label + " u32", "%d" % u32(p))
    else:
        generic_attr(out, ind, hdr, ln, typ, p, pad, IPVS_INFO_ATTR_NAMES)


def decode_genl(out, nltype, body, ctx):
    cmd, version, reserved = struct.unpack_from("<BBH", body, 0)
    fam = "nlctrl" if nltype == GENL_ID_CTRL else ctx.families.get(nltype)
    ctx.family_name = fam
    cmds = CTRL_CMDS if fam == "nlctrl" else IPVS_CMDS if fam == "IPVS" else {}
    out.add(0, body[0:1], "genlmsghdr.cmd = %s" % enum_name(cmd, cmds))
    out.add(0, body[1:2], "genlmsghdr.version = %d" % version)
    out.add(0, body[2:4], "genlmsghdr.reserved = %d" % reserved)
    rest = body[4:]
    if fam == "nlctrl":
        decode_attrs(out, 0, rest, ctrl_attr, ctx)
    elif fam == "IPVS":
        if cmd == 14:      # SET_INFO: the GET_INFO reply
            decode_attrs(out, 0, rest, ipvs_info_attr, ctx)
        else:
            decode_attrs(out, 0, rest, ipvs_cmd_attr, ctx)
    else:
        decode_attrs(out, 0, rest, lambda *a: generic_attr(*a[:7], None), ctx)


# --- messages -----------------------------------------------------------------------------------------------

def type_name(nltype, ctx):
    if nltype in NLMSG_TYPES:
        return NLMSG_TYPES[nltype]
    if ctx.proto == NETLINK_ROUTE:
        return RTM_TYPES.get(nltype, "RTM_%d" % nltype)
    if ctx.proto == NETLINK_GENERIC:
        if nltype == GENL_ID_CTRL:
            return "GENL_ID_CTRL"
        if nltype in ctx.families:
            return ctx.families[nltype]
    return "type_%d" % nltype


def flags_text(flags, nltype, ctx, genl_cmd=None):
    names = [n for bit, n in NLM_F_LOW if flags & bit]
    high = flags & 0xF00
    table = []
    if nltype == 2:
        table = NLM_F_ACKFLAGS
    elif flags & 0x1:  # requests
        kind = None
        if ctx.proto == NETLINK_ROUTE and nltype >= 16:
            kind = ["NEW", "DEL", "GET", "SET"][nltype % 4]
        elif ctx.proto == NETLINK_GENERIC:
            cname = (CTRL_CMDS if nltype == GENL_ID_CTRL else IPVS_CMDS).get(genl_cmd, "")
            kind = "GET" if "_GET" in cname else "NEW" if "_NEW" in cname else "DEL" if "_DEL" in cname else None
        table = {"GET": NLM_F_GET, "NEW": NLM_F_NEW, "DEL": NLM_F_DELETE}.get(kind, [])
    for bit, n in table:
        if high & bit:
            names.append(n)
            high &= ~bit
    if table is NLM_F_GET and (flags & 0x300) == 0x300:
        names = [n for n in names if n not in ("NLM_F_ROOT", "NLM_F_MATCH")] + ["NLM_F_DUMP"]
    rest = flags & ~0x3F & ~sum(bit for bit, _ in table) if table else flags & ~0x3F
    if rest:
        names.append("0x%x" % rest)
    return "|".join(names) if names else "0"


def decode_body(out, nltype, body, ctx):
    if ctx.proto == NETLINK_ROUTE and nltype in (20, 21, 22):
        decode_ifaddrmsg(out, body, ctx)
    elif ctx.proto == NETLINK_ROUTE and nltype in (16, 17, 18, 19):
        decode_ifinfomsg(out, body, ctx)
    elif ctx.proto == NETLINK_GENERIC and nltype >= 16:
        decode_genl(out, nltype, body, ctx)
    else:
        emit_chunks(out, 0, body, "payload")


def decode_message(msg, ctx):
    out = Out()
    ln, nltype, flags, seq, pid = struct.unpack_from("<IHHII", msg, 0)
    genl_cmd = msg[16] if ctx.proto == NETLINK_GENERIC and len(msg) > 16 and nltype >= 16 else None
    out.add(0, msg[0:4], "nlmsghdr.nlmsg_len = %d" % ln)
    out.add(0, msg[4:6], "nlmsghdr.nlmsg_type = %d (%s)" % (nltype, type_name(nltype, ctx)))
    out.add(0, msg[6:8], "nlmsghdr.nlmsg_flags = 0x%04x (%s)" % (flags, flags_text(flags, nltype, ctx, genl_cmd)))
    out.add(0, msg[8:12], "nlmsghdr.nlmsg_seq = %d" % seq)
    out.add(0, msg[12:16], "nlmsghdr.nlmsg_pid = %d" % pid)
    body = msg[16:ln]
    if nltype == 2:
        err = s32(body, 0)
        out.add(0, body[0:4], "nlmsgerr.error = %d (%s)" % (err, ERRNO.get(-err, "errno %d" % -err)
                                                             if err <= 0 else "?"))
        olen, otype, oflags, oseq, opid = struct.unpack_from("<IHHII", body, 4)
        out.add(1, body[4:8], "nlmsgerr.msg.nlmsg_len = %d (of the request)" % olen)
        out.add(1, body[8:10], "nlmsgerr.msg.nlmsg_type = %d (%s)" % (otype, type_name(otype, ctx)))
        out.add(1, body[10:12], "nlmsgerr.msg.nlmsg_flags = 0x%04x (%s)" % (
            oflags, flags_text(oflags, otype, ctx, body[20] if len(body) > 20 and ctx.proto == NETLINK_GENERIC else None)))
        out.add(1, body[12:16], "nlmsgerr.msg.nlmsg_seq = %d" % oseq)
        out.add(1, body[16:20], "nlmsgerr.msg.nlmsg_pid = %d" % opid)
        o = 20
        if not flags & 0x100 and olen > 16:    # not NLM_F_CAPPED: the request's payload follows
            payload = body[o:o + olen - 16]
            sub = Out()
            try:
                decode_body(sub, otype, payload, Ctx(ctx.proto, ctx.families))
                assert sub.total() == payload
            except (ValueError, AssertionError, struct.error):
                sub = Out()
                emit_chunks(sub, 0, payload, "echoed request payload")
            for ind, data, note in sub.lines:
                out.add(ind + 1, data, "(echoed request) " + note)
            o += olen - 16
        if flags & 0x200 and o < len(body):   # NLM_F_ACK_TLVS
            decode_attrs(out, 0, body[o:], lambda oo, i, h, l, ty, pp, pd, c: (
                emit_leaf(oo, i, h, pp, pd, attr_label(NLMSGERR_ATTR_NAMES, ty), cstring(pp))
                if (ty & NLA_TYPE_MASK) == 1 else
                generic_attr(oo, i, h, l, ty, pp, pd, NLMSGERR_ATTR_NAMES)), ctx)
        elif o < len(body):
            emit_chunks(out, 0, body[o:], "trailing")
    elif nltype == 3:
        if len(body) >= 4:
            out.add(0, body[0:4], "NLMSG_DONE error/length field (s32) = %d" % s32(body, 0))
        if len(body) > 4:
            emit_chunks(out, 0, body[4:], "NLMSG_DONE extended ack")
    else:
        decode_body(out, nltype, body, ctx)
    if len(msg) > ln:
        out.add(0, msg[ln:], "padding after the message (NLMSG_ALIGN)")
    if out.total() != msg:
        raise AssertionError("decoder lost bytes: %d rendered vs %d in the message" % (len(out.total()), len(msg)))
    return out


# ----------------------------------------------------------------------------------------------------------
# strace parsing
# ----------------------------------------------------------------------------------------------------------

SYSCALL_RE = re.compile(r"^(?:(\d+)\s+)?(socket|sendmsg|recvmsg|sendto|recvfrom)\((.*)$")
DUMP_RE = re.compile(r"^\s*\|\s([0-9a-f]{5})  (.{0,49})")


class Event:
    def __init__(self, pid, call, fd, line):
        self.pid, self.call, self.fd, self.line = pid, call, fd, line
        self.data = bytearray()
        self.buf_start = 0
        self.peek = "MSG_PEEK" in line.rsplit("}", 1)[-1]
        m = re.search(r"\)\s+=\s+(-?\d+)", line)
        self.ret = int(m.group(1)) if m else None
        self.direction = "send" if call.startswith("send") else "recv"
        self.proto = None


def parse_strace(path):
    events, protos = [], {}
    cur = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = SYSCALL_RE.match(line)
            if m:
                pid, call, rest = m.group(1) or "0", m.group(2), m.group(3)
                cur = None
                if call == "socket":
                    s = re.match(r"AF_NETLINK, [^,]+, (NETLINK_\w+|\d+)\)\s+=\s+(\d+)", rest)
                    if s:
                        proto = {"NETLINK_ROUTE": 0, "NETLINK_GENERIC": 16}.get(s.group(1))
                        if proto is None and s.group(1).isdigit():
                            proto = int(s.group(1))
                        protos[(pid, int(s.group(2)))] = proto
                    continue
                fdm = re.match(r"(\d+),", rest)
                if not fdm:
                    continue
                cur = Event(pid, call, int(fdm.group(1)), line)
                cur.proto = protos.get((pid, cur.fd))
                events.append(cur)
                continue
            d = DUMP_RE.match(line)
            if d and cur is not None:
                off = int(d.group(1), 16)
                hexpart = re.findall(r"[0-9a-f]{2}", d.group(2))
                if off != 0 and off != (len(cur.data) - cur.buf_start) % 0x100000:
                    raise ValueError("%s: dump offset 0x%x does not follow 0x%x" % (path, off, len(cur.data)))
                if off == 0:
                    cur.buf_start = len(cur.data)   # " * N bytes in buffer K": every buffer restarts at 0
                cur.data.extend(bytes(int(h, 16) for h in hexpart))
            elif not line.startswith(" * "):
                cur = None   # anything else ends the current call's dump
    return [e for e in events if e.proto is not None and not e.peek and e.ret is not None and e.ret > 0]


def split_messages(data, trailing=None):
    """Netlink messages in a buffer. A buffer may end in zero bytes that are no message (iproute2 sends its
    whole request struct, e.g. 24 bytes of message + 128 zero bytes; the kernel stops at nlmsg_len 0):
    their count goes to trailing[0]."""
    msgs, o = [], 0
    while o + 16 <= len(data):
        ln = u32(data, o)
        if ln == 0 and not any(data[o:]):
            break
        if ln < 16 or o + ln > len(data):
            raise ValueError("bad nlmsg_len %d at offset %d" % (ln, o))
        end = min(len(data), o + ln + pad_len(ln))
        msgs.append(bytes(data[o:end]))
        o = end
    if o != len(data):
        if any(data[o:]):
            raise ValueError("%d stray bytes after the last message" % (len(data) - o))
        if trailing is not None:
            trailing[0] = len(data) - o
    return msgs


def learn_families(events):
    fams = {}
    for e in events:
        if e.proto != NETLINK_GENERIC or e.direction != "recv":
            continue
        for m in split_messages(e.data):
            if u16(m, 4) != GENL_ID_CTRL or len(m) < 20 or m[16] != 1:
                continue
            fid, name = None, None
            for _h, _l, typ, p, _pad in attr_iter(m[20:u32(m, 0)]):
                if (typ & NLA_TYPE_MASK) == 1:
                    fid = u16(p)
                elif (typ & NLA_TYPE_MASK) == 2:
                    name = p.split(b"\0", 1)[0].decode()
            if fid is not None and name:
                fams[fid] = name
    return fams


def all_messages(trace):
    events = parse_strace(trace)
    fams = learn_families(events)
    result = []
    for e in events:
        trailing = [0]
        msgs = split_messages(e.data, trailing)
        e.trailing_zeros = trailing[0]
        e.message_count = len(msgs)
        for m in msgs:
            ctx = Ctx(e.proto, fams)
            out = decode_message(m, ctx)
            result.append((e, m, ctx, out))
    return result


# ----------------------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------------------

def render(out, header_lines):
    rows = []
    for ind, data, note in out.lines:
        rows.append(("  " * ind + hexs(data), note))
    width = min(max(len(h) for h, _ in rows), 60)
    text = [("# " + h) if h else "#" for h in header_lines]
    for h, note in rows:
        text.append("%-*s   # %s" % (width, h, note))
    return "\n".join(text) + "\n"


def parse_golden(path):
    data = bytearray()
    comments = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.lstrip().startswith("#"):
                comments.append(line.rstrip("\n"))
                continue
            hexpart = line.split("#", 1)[0]
            for tok in hexpart.split():
                if not re.fullmatch(r"[0-9a-f]{2}", tok):
                    raise ValueError("%s:%d: not a hex byte: %r" % (path, n, tok))
                data.append(int(tok, 16))
    return bytes(data), comments


def cmd_list(trace):
    for i, (e, m, ctx, out) in enumerate(all_messages(trace)):
        notes = [n for _, _, n in out.lines]
        summary = next((n for n in notes if "nlmsg_type" in n), "")
        cmd = next((n for n in notes if "genlmsghdr.cmd" in n), "")
        print("%3d %-4s %-8s fd=%d %5d bytes  %s  %s" % (i, e.direction, e.call, e.fd, len(m),
                                                         summary.split("= ", 1)[-1], cmd.split("= ", 1)[-1]))


def cmd_extract(args):
    import argparse
    ap = argparse.ArgumentParser(prog="nlgolden.py extract")
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--dir", choices=["send", "recv"], required=True)
    ap.add_argument("--type", required=True, help="message type name, e.g. RTM_NEWADDR, IPVS, GENL_ID_CTRL, NLMSG_ERROR")
    ap.add_argument("--cmd", help="genetlink command name, e.g. IPVS_CMD_NEW_SERVICE")
    ap.add_argument("--grep", action="append", default=[], help="text the annotations must contain")
    ap.add_argument("--nth", type=int, default=0)
    ap.add_argument("--command", required=True)
    ap.add_argument("--captured", required=True)
    ap.add_argument("--note", action="append", default=[])
    a = ap.parse_args(args)
    found = []
    for e, m, ctx, out in all_messages(a.trace):
        if e.direction != a.dir:
            continue
        notes = "\n".join(n for _, _, n in out.lines)
        if "(%s)" % a.type not in next(n for _, _, n in out.lines if "nlmsg_type" in n):
            continue
        if a.cmd and "(%s)" % a.cmd not in next((n for _, _, n in out.lines if "genlmsghdr.cmd" in n), ""):
            continue
        if all(g in notes for g in a.grep):
            found.append((e, m, ctx, out))
    if len(found) <= a.nth:
        sys.exit("nlgolden: %s: %d matching %s message(s) (%s %s %s), wanted #%d" % (
            a.trace, len(found), a.dir, a.type, a.cmd or "", a.grep, a.nth))
    e, m, ctx, out = found[a.nth]
    proto = {0: "NETLINK_ROUTE", 16: "NETLINK_GENERIC"}.get(e.proto, str(e.proto))
    direction = "request: user space -> kernel" if e.direction == "send" else "reply: kernel -> user space"
    header = ["command: " + a.command, "captured: " + a.captured]
    header += a.note
    header.append("message: %s (%s on a %s socket), %d bytes; %d matching message(s) in the trace, this is #%d" % (
        direction, e.call, proto, len(m), len(found), a.nth))
    if e.message_count > 1 or e.trailing_zeros:
        header.append("the %s buffer (%d bytes) held %d netlink message(s)%s; this file is one message" % (
            e.call, len(e.data), e.message_count,
            " followed by %d zero bytes that are no message (the kernel stops at nlmsg_len 0)" % e.trailing_zeros
            if e.trailing_zeros else ""))
    if ctx.proto == NETLINK_GENERIC and ctx.families:
        header.append("generic netlink family ids in this capture: %s (assigned at run time)" % ", ".join(
            "%s = %d (0x%x)" % (n, i, i) for i, n in sorted(ctx.families.items())))
    header.append("format: hex bytes before '#' in file order are the message; '#' starts an annotation")
    header.append("")
    text = render(out, header)
    check_data, _ = parse_golden_text(text)
    assert check_data == m
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)


def parse_golden_text(text):
    import io
    import tempfile
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt") as t:
        t.write(text)
        name = t.name
    try:
        return parse_golden(name)
    finally:
        os.unlink(name)


def cmd_check(paths):
    bad = 0
    for p in paths:
        try:
            data, comments = parse_golden(p)
            if not any(c.startswith("# command: ") for c in comments):
                raise ValueError("no '# command:' line")
            msgs = split_messages(data)
            if len(msgs) != 1:
                raise ValueError("%d messages, want 1" % len(msgs))
            ln = u32(data, 0)
            if ln != len(data) - pad_len(ln) or len(data) % 4:
                raise ValueError("nlmsg_len %d vs %d bytes" % (ln, len(data)))
            print("ok   %-60s %5d bytes" % (os.path.basename(p), len(data)))
        except Exception as ex:  # noqa: BLE001
            bad += 1
            print("FAIL %s: %s" % (p, ex))
    return 1 if bad else 0


def header_enum(text, first):
    """Values of the enum that contains `first` (simple sequential/explicit enums only)."""
    idx = text.find(first)
    start = text.rfind("enum", 0, idx)
    end = text.find("};", idx)
    body = re.sub(r"/\*.*?\*/", "", text[start:end], flags=re.S)
    body = re.sub(r"#.*", "", body)
    values, cur = {}, -1
    for item in body.split("{", 1)[1].split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            name, expr = [x.strip() for x in item.split("=", 1)]
            if expr in values:
                cur = values[expr]
            elif re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", expr):
                cur = int(expr, 0)
            else:
                m = re.fullmatch(r"(\w+)\s*-\s*1", expr)
                if not (m and m.group(1) in values):
                    continue
                cur = values[m.group(1)] - 1
        else:
            name = item
            cur += 1
        values[name] = cur
    return values


def cmd_check_headers(inc):
    checks = [
        ("if_addr.h", "IFA_UNSPEC", IFA_NAMES),
        ("if_link.h", "IFLA_UNSPEC,", IFLA_NAMES),
        ("genetlink.h", "CTRL_CMD_UNSPEC", CTRL_CMDS),
        ("genetlink.h", "CTRL_ATTR_UNSPEC,", CTRL_ATTR_NAMES),
        ("ip_vs.h", "IPVS_CMD_UNSPEC", IPVS_CMDS),
        ("ip_vs.h", "IPVS_CMD_ATTR_UNSPEC", IPVS_CMD_ATTR_NAMES),
        ("ip_vs.h", "IPVS_SVC_ATTR_UNSPEC", IPVS_SVC_ATTR_NAMES),
        ("ip_vs.h", "IPVS_DEST_ATTR_UNSPEC", IPVS_DEST_ATTR_NAMES),
        ("ip_vs.h", "IPVS_DAEMON_ATTR_UNSPEC", IPVS_DAEMON_ATTR_NAMES),
        ("ip_vs.h", "IPVS_STATS_ATTR_UNSPEC", IPVS_STATS_ATTR_NAMES),
        ("ip_vs.h", "IPVS_INFO_ATTR_UNSPEC", IPVS_INFO_ATTR_NAMES),
        ("netlink.h", "NLMSGERR_ATTR_UNUSED", NLMSGERR_ATTR_NAMES),
    ]
    bad = 0
    for hfile, first, table in checks:
        path = os.path.join(inc, hfile)
        if not os.path.exists(path):
            print("skip %s (not installed)" % path)
            continue
        values = header_enum(open(path, encoding="utf-8").read(), first)
        for num, name in table.items():
            if name in values and values[name] != num:
                bad += 1
                print("MISMATCH %s: %s = %d in the header, %d here" % (hfile, name, values[name], num))
            elif name not in values:
                print("note %s: %s not in this header (newer kernel)" % (hfile, name))
        print("checked %s (%s...)" % (hfile, first.rstrip(",")))
    for hfile, defines in [("ip_vs.h", {"IP_VS_SVC_F_PERSISTENT": 1, "IP_VS_SVC_F_SCHED1": 8,
                                         "IP_VS_SVC_F_SCHED2": 0x10, "IP_VS_CONN_F_TUNNEL": 2,
                                         "IP_VS_CONN_F_DROUTE": 3, "IP_VS_STATE_MASTER": 1,
                                         "IP_VS_TUNNEL_ENCAP_FLAG_CSUM": 1}),
                           ("netlink.h", {"NLM_F_REQUEST": 1, "NLM_F_ACK": 4, "NLM_F_ROOT": 0x100,
                                          "NLM_F_MATCH": 0x200, "NLM_F_EXCL": 0x200, "NLM_F_CREATE": 0x400,
                                          "NLM_F_CAPPED": 0x100, "NLM_F_ACK_TLVS": 0x200, "NLMSG_ERROR": 2,
                                          "NLMSG_DONE": 3, "NLA_F_NESTED": 0x8000}),
                           ("genetlink.h", {"GENL_ID_CTRL": 0x10})]:
        path = os.path.join(inc, hfile)
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        for name, val in defines.items():
            m = re.search(r"#define\s+%s\s+\(?([^\s/)]+)" % name, text)
            if not m:
                print("note %s: no #define %s" % (hfile, name))
                continue
            expr = m.group(1)
            sh = re.search(r"#define\s+%s\s+\(1\s*<<\s*(\d+)\)" % name, text)
            if sh:
                hv = 1 << int(sh.group(1))
            else:
                try:
                    hv = int(expr, 0)
                except ValueError:
                    hv = None
            if hv is not None and hv != val:
                bad += 1
                print("MISMATCH %s: %s = %s in the header, 0x%x here" % (hfile, name, expr, val))
    print("header check: %s" % ("OK" if not bad else "%d mismatches" % bad))
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    if argv[1] == "list":
        cmd_list(argv[2])
        return 0
    if argv[1] == "extract":
        cmd_extract(argv[2:])
        return 0
    if argv[1] == "check":
        return cmd_check(argv[2:])
    if argv[1] == "check-headers":
        return cmd_check_headers(argv[2] if len(argv) > 2 else "/usr/include/linux")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
