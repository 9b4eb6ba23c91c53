# The health checks of one real server as they cross the wire, for bench/Measure-Controller.ps1: run inside the director's
# network namespace, it prints one line per check the director sends to ADDRESS:PORT (a SYN) and per answer (SYN-ACK: the
# server accepted; RST: refused), with the kernel's receive time of the packet. When the namespace has an nlmon device
# (up), it prints too every IPVS write of that real server's weight (IPVS_CMD_SET_DEST or NEW_DEST of ADDRESS:PORT, as
# any program sends it over generic netlink), with the time the kernel handed the request to IPVS: the moment the table
# changes, not when a sampler next looks.
#   python3 -I -S check-wire.py OUT ADDRESS PORT
# Lines of OUT: "pid<TAB>N" first, then "TIME<TAB>SYN|ACCEPT|REFUSE<TAB>LOCALPORT" and "TIME<TAB>WEIGHT<TAB>W" (TIME: Unix
# seconds, from SO_TIMESTAMPNS).
# A socket filter in the kernel passes only those packets (the server's SYNs, SYN-ACKs and RSTs, and the IPVS write
# requests): this process then wakes only for them. Unfiltered, it woke for every netlink message of the namespace,
# the reads an engine makes before its write included, and each wake could take the guest's one CPU from that engine
# while it reacts.
import ctypes, os, socket, struct, sys

out, address, port = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3])
ETH_P_ALL, SO_TIMESTAMPNS, PACKET_OUTGOING, ARPHRD_NETLINK = 0x0003, 35, 4, 824
NLM_F_REQUEST, IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST, IPVS_CMD_ATTR_DEST = 0x1, 5, 6, 2
IPVS_DEST_ATTR_ADDR, IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_WEIGHT = 1, 2, 4


def attributes(data, start, end):
    while start + 4 <= end:
        length, kind = struct.unpack_from('=HH', data, start)
        if length < 4:
            return
        yield kind & 0x3FFF, start + 4, start + length
        start += (length + 3) & ~3


def ipvs_family():
    # CTRL_CMD_GETFAMILY "IPVS" to the generic netlink controller: the family id IPVS messages carry (None without IPVS).
    ctl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    name = b'IPVS\0'
    attr = struct.pack('=HH', 4 + len(name), 2) + name + b'\0' * (-len(name) % 4)
    body = struct.pack('=BBH', 3, 1, 0) + attr
    ctl.send(struct.pack('=IHHII', 16 + len(body), 0x10, NLM_F_REQUEST, 1, 0) + body)
    reply = ctl.recv(65536)
    ctl.close()
    if len(reply) < 20 or struct.unpack_from('=H', reply, 4)[0] != 0x10:
        return None
    for kind, a, b in attributes(reply, 20, struct.unpack_from('=I', reply, 0)[0]):
        if kind == 1:
            return struct.unpack_from('=H', reply, a)[0]
    return None


def weights(data, family):
    # The weights a netlink packet (one or more messages) sets for ADDRESS:PORT.
    at = 0
    while at + 20 <= len(data):
        length, kind, flags = struct.unpack_from('=IHH', data, at)
        if length < 16:
            return
        if kind == family and flags & NLM_F_REQUEST and data[at + 16] in (IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST):
            for k, a, b in attributes(data, at + 20, min(at + length, len(data))):
                if k != IPVS_CMD_ATTR_DEST:
                    continue
                dest = {kk: data[aa:bb] for kk, aa, bb in attributes(data, a, b)}
                w = dest.get(IPVS_DEST_ATTR_WEIGHT)
                if (dest.get(IPVS_DEST_ATTR_ADDR, b'')[:4] == address and dest.get(IPVS_DEST_ATTR_PORT) == struct.pack('!H', port)
                        and w is not None and len(w) == 4):
                    yield struct.unpack('=I', w)[0]
        at += (length + 3) & ~3


def socket_filter(family):
    # Classic BPF, as tcpdump compiles it: by the device's type (SKF_AD_HATYPE), an IPVS request of the family that is
    # not a read (GET_SERVICE, GET_DEST, GET_DAEMON, GET_CONFIG, GET_INFO) on nlmon; on Ethernet an unfragmented IPv4 TCP
    # packet with SYN or RST set, from ADDRESS:PORT or to it. Netlink headers are host order (little-endian here), so the
    # two-byte type is compared byte-swapped.
    addr, keep, drop = struct.unpack('!I', address)[0], 0x40000, 0
    ld_w, ld_h, ld_b, ldx_msh, ld_h_ind, ret = 0x20, 0x28, 0x30, 0xb1, 0x48, 0x06
    jeq, jset = 0x15, 0x45
    code, fixups = [], []

    def op(c, k=0, jt=None, jf=None):
        code.append([c, 0, 0, k])
        fixups.append((len(code) - 1, jt, jf))

    op(ld_w, 0xFFFFF000 + 28)                          # 0: A = the device's type
    op(jeq, ARPHRD_NETLINK, jt='nl', jf='eth')
    labels = {'nl': len(code)}
    op(ld_b, 6); op(jset, NLM_F_REQUEST, jf='drop')
    if family is None:
        op(ret, drop)
    else:
        op(ld_h, 4); op(jeq, ((family & 0xFF) << 8) | (family >> 8), jf='drop')
        op(ld_b, 16)
        for get in (4, 8, 11, 13, 15):
            op(jeq, get, jt='drop')
        op(ret, keep)
    labels['eth'] = len(code)
    op(jeq, 1, jf='drop')                              # ARPHRD_ETHER
    op(ld_h, 12); op(jeq, 0x0800, jf='drop')
    op(ld_b, 23); op(jeq, 6, jf='drop')
    op(ld_h, 20); op(jset, 0x1FFF, jt='drop')
    op(ldx_msh, 14)                                    # X = the IPv4 header's length
    op(0x50, 14 + 13); op(jset, 0x06, jf='drop')       # SYN or RST
    op(ld_w, 26); op(jeq, addr, jf='to')
    op(ld_h_ind, 14); op(jeq, port, jt='keep', jf='drop')
    labels['to'] = len(code)
    op(ld_w, 30); op(jeq, addr, jf='drop')
    op(ld_h_ind, 16); op(jeq, port, jt='keep', jf='drop')
    labels['keep'] = len(code); op(ret, keep)
    labels['drop'] = len(code); op(ret, drop)
    for at, jt, jf in fixups:
        code[at][1] = labels[jt] - at - 1 if jt else 0
        code[at][2] = labels[jf] - at - 1 if jf else 0
    return b''.join(struct.pack('=HBBI', *c) for c in code)


def stamp(anc):
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack('qq', value[:16])
            return sec + nsec / 1e9
    return None


family = ipvs_family()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
program = ctypes.create_string_buffer(socket_filter(family))
s.setsockopt(socket.SOL_SOCKET, 26, struct.pack('HL', len(program.raw) // 8, ctypes.addressof(program)))  # SO_ATTACH_FILTER
while True:  # what arrived before the filter was attached
    try:
        s.recv(65536, socket.MSG_DONTWAIT)
    except BlockingIOError:
        break
with open(out + '.tmp', 'w') as f:
    f.write('pid\t%d\n' % os.getpid())
os.rename(out + '.tmp', out)
f = open(out, 'a', buffering=1)
while True:
    data, anc, _, where = s.recvmsg(4096, 64)
    if where[3] == ARPHRD_NETLINK:
        if family is None:
            continue
        t = stamp(anc)
        for w in weights(data, family) if t is not None else ():
            f.write('%.6f\tWEIGHT\t%d\n' % (t, w))
        continue
    # Ethernet + IPv4 + TCP only (the lab's veths); where[2] is the packet type: outgoing, or to this host.
    if len(data) < 34 or data[12:14] != b'\x08\x00' or data[23] != 6:
        continue
    ihl = (data[14] & 0x0F) * 4
    tcp = 14 + ihl
    if len(data) < tcp + 14:
        continue
    sport, dport = struct.unpack('!HH', data[tcp:tcp + 4])
    flags = data[tcp + 13]
    t = stamp(anc)
    if t is None:
        continue
    if where[2] == PACKET_OUTGOING and data[30:34] == address and dport == port and flags & 0x12 == 0x02:
        f.write('%.6f\tSYN\t%d\n' % (t, sport))
    elif where[2] != PACKET_OUTGOING and data[26:30] == address and sport == port:
        if flags & 0x12 == 0x12:
            f.write('%.6f\tACCEPT\t%d\n' % (t, dport))
        elif flags & 0x04:
            f.write('%.6f\tREFUSE\t%d\n' % (t, dport))
