# The health checks of one real server as they cross the wire, for bench/Measure-Controller.ps1: run inside the director's
# network namespace, it prints one line per check the director sends to ADDRESS:PORT (a SYN) and per answer (SYN-ACK: the
# server accepted; RST: refused), with the kernel's receive time of the packet.
#   python3 -I -S check-wire.py OUT ADDRESS PORT
# Lines of OUT: "pid<TAB>N" first, then "TIME<TAB>SYN|ACCEPT|REFUSE<TAB>LOCALPORT" (TIME: Unix seconds, from SO_TIMESTAMPNS).
import os, socket, struct, sys

out, address, port = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3])
ETH_P_ALL, SO_TIMESTAMPNS, PACKET_OUTGOING = 0x0003, 35, 4
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
with open(out + '.tmp', 'w') as f:
    f.write('pid\t%d\n' % os.getpid())
os.rename(out + '.tmp', out)
f = open(out, 'a', buffering=1)
while True:
    data, anc, _, where = s.recvmsg(256, 64)
    # Ethernet + IPv4 + TCP only (the lab's veths); where[2] is the packet type: outgoing, or to this host.
    if len(data) < 34 or data[12:14] != b'\x08\x00' or data[23] != 6:
        continue
    ihl = (data[14] & 0x0F) * 4
    tcp = 14 + ihl
    if len(data) < tcp + 14:
        continue
    sport, dport = struct.unpack('!HH', data[tcp:tcp + 4])
    flags = data[tcp + 13]
    t = None
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack('qq', value[:16])
            t = sec + nsec / 1e9
    if t is None:
        continue
    if where[2] == PACKET_OUTGOING and data[30:34] == address and dport == port and flags & 0x12 == 0x02:
        f.write('%.6f\tSYN\t%d\n' % (t, sport))
    elif where[2] != PACKET_OUTGOING and data[26:30] == address and sport == port:
        if flags & 0x12 == 0x12:
            f.write('%.6f\tACCEPT\t%d\n' % (t, dport))
        elif flags & 0x04:
            f.write('%.6f\tREFUSE\t%d\n' % (t, dport))
