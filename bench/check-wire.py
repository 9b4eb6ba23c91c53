# The health checks of one real server as they cross the wire, for bench/Measure-Controller.ps1: run inside the director's
# network namespace, it prints one line per check the director sends to ADDRESS:PORT (a SYN) and per answer (SYN-ACK: the
# server accepted; RST: refused), with the kernel's receive time of the packet. When the namespace has an nlmon device
# (up), it prints too every IPVS write of that real server's weight (IPVS_CMD_SET_DEST or NEW_DEST of ADDRESS:PORT, as
# any program sends it over generic netlink), with the time the kernel handed the request to IPVS: the moment the table
# changes, not when a sampler next looks.
#   python3 -I -S check-wire.py OUT ADDRESS PORT
# Lines of OUT: "pid<TAB>N" first, then "TIME<TAB>SYN|ACCEPT|REFUSE<TAB>LOCALPORT" and "TIME<TAB>WEIGHT<TAB>W" (TIME: Unix
# seconds, from SO_TIMESTAMPNS).
import os, socket, struct, sys

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


def stamp(anc):
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack('qq', value[:16])
            return sec + nsec / 1e9
    return None


family = ipvs_family()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
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
