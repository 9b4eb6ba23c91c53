// The benchmark's yardsticks: what a minimal raw generic-netlink client gets out of the kernel, so that LvsTools is
// measured against the kernel's own limit in the same boot. Independent of the module on purpose (it shares no code
// with it): constants from include/uapi/linux/ip_vs.h and genetlink.h.
//   RawIpvs write RULES [BATCH]   the rules file's services and real servers (ipvsadm -A/-a lines, as the benchmark
//                                 writes them) as NEW_SERVICE / NEW_DEST requests, BATCH (256) per send(), NLM_F_ACK
//                                 only on the last of each send; every NLMSG_ERROR is checked.
//   RawIpvs read [SOCKETS]        one GET_SERVICE dump, then one GET_DEST dump per service, spread over SOCKETS sockets
//                                 (one thread each: the kernel runs one dump at a time per socket), replies read with
//                                 recvmmsg (a dump's last chunk and its NLMSG_DONE in one receive); counts what it parsed.
// Prints one JSON line: what was done and the seconds from opening the socket to the last reply.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

internal static unsafe class Program
{
    const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, NETLINK_GENERIC = 16;
    const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3, GENL_ID_CTRL = 0x10;
    const ushort NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300, NLA_F_NESTED = 0x8000;
    const byte CTRL_CMD_GETFAMILY = 3; const ushort CTRL_ATTR_FAMILY_ID = 1, CTRL_ATTR_FAMILY_NAME = 2;
    const byte NEW_SERVICE = 1, GET_SERVICE = 4, NEW_DEST = 5, GET_DEST = 8;
    const ushort CMD_ATTR_SERVICE = 1, CMD_ATTR_DEST = 2;
    const ushort SVC_AF = 1, SVC_PROTOCOL = 2, SVC_ADDR = 3, SVC_PORT = 4, SVC_FWMARK = 5, SVC_SCHED = 6, SVC_FLAGS = 7,
        SVC_TIMEOUT = 8, SVC_NETMASK = 9;
    const ushort DEST_ADDR = 1, DEST_PORT = 2, DEST_FWD = 3, DEST_WEIGHT = 4, DEST_UTHRESH = 5, DEST_LTHRESH = 6, DEST_AF = 11;

    [DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] static extern nint send(int fd, byte* buf, nint len, int flags);
    [DllImport("libc", SetLastError = true)] static extern nint recv(int fd, byte* buf, nint len, int flags);
    [DllImport("libc")] static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] static extern int recvmmsg(int fd, MMsgHdr* msgs, uint vlen, int flags, void* timeout);
    const int MSG_WAITFORONE = 0x10000;

    [StructLayout(LayoutKind.Sequential)] struct IoVec { public byte* Base; public nint Length; }
    [StructLayout(LayoutKind.Sequential)] struct MsgHdr { public void* Name; public uint NameLength; public IoVec* Iov; public nint IovLength; public void* Control; public nint ControlLength; public int Flags; }
    [StructLayout(LayoutKind.Sequential)] struct MMsgHdr { public MsgHdr Header; public uint Length; }

    record struct Svc(ushort Af, ushort Protocol, byte[] Addr, ushort Port, uint Fwmark, string Sched);
    record struct Dest(Svc Service, ushort Af, byte[] Addr, ushort Port, uint Fwd, uint Weight);

    static int Main(string[] args)
    {
        try
        {
            return args.Length > 0 && args[0] == "write" ? Write(args[1], args.Length > 2 ? int.Parse(args[2]) : 256)
                : args.Length > 0 && args[0] == "read" ? Read(args.Length > 1 ? int.Parse(args[1]) : 1)
                : Usage();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"RawIpvs: {e.Message}");
            return 1;
        }
    }

    static int Usage()
    {
        Console.Error.WriteLine("usage: RawIpvs write RULES [BATCH] | RawIpvs read [SOCKETS]");
        return 2;
    }

    // ---- the writer ----

    static int Write(string rules, int batch)
    {
        var (services, dests) = ParseRules(rules);
        var watch = Stopwatch.StartNew();
        int fd = Open(out ushort family);
        var buf = new byte[batch * 256];
        var rbuf = new byte[1 << 16];
        int total = services.Count + dests.Count, sent = 0, failed = 0, sends = 0;
        uint seq = 100;
        string? firstError = null;
        while (sent < total)
        {
            int n = Math.Min(batch, total - sent), pos = 0;
            for (int i = 0; i < n; i++, sent++)
            {
                ushort flags = (ushort)(NLM_F_REQUEST | (i == n - 1 ? NLM_F_ACK : 0));
                int start = pos;
                pos = Header(buf, pos, family, flags, ++seq, sent < services.Count ? NEW_SERVICE : NEW_DEST);
                if (sent < services.Count)
                {
                    int nest = Begin(buf, ref pos, CMD_ATTR_SERVICE);
                    pos = ServiceKey(buf, pos, services[sent]);
                    pos = Attr(buf, pos, SVC_SCHED, Encoding.ASCII.GetBytes(services[sent].Sched + "\0"));
                    pos = Attr(buf, pos, SVC_FLAGS, [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
                    pos = U32(buf, pos, SVC_TIMEOUT, 0);
                    pos = U32(buf, pos, SVC_NETMASK, services[sent].Af == 2 ? 0xffffffff : 128);
                    End(buf, nest, pos);
                }
                else
                {
                    var d = dests[sent - services.Count];
                    int nest = Begin(buf, ref pos, CMD_ATTR_SERVICE);
                    pos = ServiceKey(buf, pos, d.Service);
                    End(buf, nest, pos);
                    nest = Begin(buf, ref pos, CMD_ATTR_DEST);
                    pos = Attr(buf, pos, DEST_ADDR, d.Addr);
                    pos = Be16(buf, pos, DEST_PORT, d.Port);
                    pos = U32(buf, pos, DEST_FWD, d.Fwd);
                    pos = U32(buf, pos, DEST_WEIGHT, d.Weight);
                    pos = U32(buf, pos, DEST_UTHRESH, 0);
                    pos = U32(buf, pos, DEST_LTHRESH, 0);
                    pos = U16(buf, pos, DEST_AF, d.Af);
                    End(buf, nest, pos);
                }
                BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(start), (uint)(pos - start));
            }
            Send(fd, buf, pos);
            sends++;
            // Errors of the requests without NLM_F_ACK come before the ACK (or error) of the last one.
            for (bool done = false; !done;)
            {
                int len = Recv(fd, rbuf);
                for (int off = 0; off + 16 <= len;)
                {
                    uint mlen = BinaryPrimitives.ReadUInt32LittleEndian(rbuf.AsSpan(off));
                    if (BinaryPrimitives.ReadUInt16LittleEndian(rbuf.AsSpan(off + 4)) == NLMSG_ERROR)
                    {
                        int err = -BinaryPrimitives.ReadInt32LittleEndian(rbuf.AsSpan(off + 16));
                        uint mseq = BinaryPrimitives.ReadUInt32LittleEndian(rbuf.AsSpan(off + 8));
                        if (err != 0)
                        {
                            failed++;
                            firstError ??= $"request {mseq - 100}: {Marshal.GetPInvokeErrorMessage(err)}";
                        }
                        if (mseq == seq)
                            done = true;
                    }
                    off += Align((int)Math.Max(mlen, 16u));
                }
            }
        }
        close(fd);
        watch.Stop();
        Console.WriteLine($"{{\"requests\":{total},\"services\":{services.Count},\"realServers\":{dests.Count},\"sends\":{sends},\"failed\":{failed},\"seconds\":{watch.Elapsed.TotalSeconds:F4}}}");
        if (firstError is not null)
            Console.Error.WriteLine($"RawIpvs: {failed} requests failed, the first: {firstError}");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The "-A -t VIP:PORT -s SCHED" and "-a -t VIP:PORT -r RIP:PORT -m|-g|-i -w N" lines of an ipvsadm rules file.</summary>
    static (List<Svc>, List<Dest>) ParseRules(string path)
    {
        var services = new List<Svc>();
        var dests = new List<Dest>();
        var byKey = new Dictionary<string, Svc>();
        foreach (var line in File.ReadLines(path))
        {
            var t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (t.Length == 0)
                continue;
            ushort proto = 0; string? key = null, real = null, sched = "wlc";
            uint fwd = 3, weight = 1, mark = 0;
            for (int i = 1; i < t.Length; i++)
            {
                switch (t[i])
                {
                    case "-t": proto = 6; key = t[++i]; break;
                    case "-u": proto = 17; key = t[++i]; break;
                    case "-f": mark = uint.Parse(t[++i]); key = "fwm" + mark; break;
                    case "-s": sched = t[++i]; break;
                    case "-r": real = t[++i]; break;
                    case "-m": fwd = 0; break;
                    case "-i": fwd = 2; break;
                    case "-g": fwd = 3; break;
                    case "-w": weight = uint.Parse(t[++i]); break;
                    default: throw new FormatException($"{path}: '{t[i]}' in '{line}' is not understood");
                }
            }
            if (key is null)
                throw new FormatException($"{path}: no service in '{line}'");
            if (t[0] == "-A")
            {
                var ep = mark == 0 ? IPEndPoint.Parse(key) : new IPEndPoint(IPAddress.Any, 0);
                var s = new Svc((ushort)(ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 10 : 2), proto,
                    Addr16(ep.Address), (ushort)ep.Port, mark, sched);
                services.Add(s);
                byKey[key] = s;
            }
            else if (t[0] == "-a" && real is not null)
            {
                var r = IPEndPoint.Parse(real);
                dests.Add(new Dest(byKey[key], (ushort)(r.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 10 : 2),
                    Addr16(r.Address), (ushort)r.Port, fwd, weight));
            }
            else
                throw new FormatException($"{path}: '{line}' is neither -A nor -a with -r");
        }
        return (services, dests);
    }

    static byte[] Addr16(IPAddress a)
    {
        var b = new byte[16];
        a.GetAddressBytes().CopyTo(b, 0);
        return b;
    }

    // ---- the reader ----

    static int Read(int sockets)
    {
        var watch = Stopwatch.StartNew();
        int fd = Open(out ushort family);
        var rbuf = new byte[1 << 17];
        var services = new List<Svc>();
        var req = new byte[256];
        int len = Header(req, 0, family, NLM_F_REQUEST | NLM_F_DUMP, 1, GET_SERVICE);
        BinaryPrimitives.WriteUInt32LittleEndian(req, (uint)len);
        Send(fd, req, len);
        Dump(fd, rbuf, attrs =>
        {
            var service = Nested(attrs, CMD_ATTR_SERVICE);
            Svc s = default;
            foreach (var (type, value) in Attrs(service))
            {
                switch (type)
                {
                    case SVC_AF: s.Af = BinaryPrimitives.ReadUInt16LittleEndian(value); break;
                    case SVC_PROTOCOL: s.Protocol = BinaryPrimitives.ReadUInt16LittleEndian(value); break;
                    case SVC_ADDR: s.Addr = value.ToArray(); break;
                    case SVC_PORT: s.Port = BinaryPrimitives.ReadUInt16BigEndian(value); break;
                    case SVC_FWMARK: s.Fwmark = BinaryPrimitives.ReadUInt32LittleEndian(value); break;
                }
            }
            services.Add(s);
        });
        var counts = new int[sockets];
        var threads = new Thread[sockets];
        for (int k = 0; k < sockets; k++)
        {
            int slot = k, own = k == 0 ? fd : Open(out _);
            threads[k] = new Thread(() =>
            {
                var b = new byte[1 << 17];
                var q = new byte[256];
                for (int i = slot; i < services.Count; i += sockets)
                {
                    var s = services[i];
                    int pos = Header(q, 0, family, NLM_F_REQUEST | NLM_F_DUMP, (uint)(i + 2), GET_DEST);
                    int nest = Begin(q, ref pos, CMD_ATTR_SERVICE);
                    pos = ServiceKey(q, pos, s);
                    End(q, nest, pos);
                    BinaryPrimitives.WriteUInt32LittleEndian(q, (uint)pos);
                    Send(own, q, pos);
                    Dump(own, b, attrs =>
                    {
                        uint weight = 0; ushort port = 0; int addr = 0;
                        foreach (var (type, value) in Attrs(Nested(attrs, CMD_ATTR_DEST)))
                        {
                            if (type == DEST_WEIGHT) weight = BinaryPrimitives.ReadUInt32LittleEndian(value);
                            else if (type == DEST_PORT) port = BinaryPrimitives.ReadUInt16BigEndian(value);
                            else if (type == DEST_ADDR) addr = value.Length;
                        }
                        if (addr == 16 && port != 0 && weight <= int.MaxValue)
                            counts[slot]++;
                    });
                }
                if (own != fd)
                    close(own);
            });
            threads[k].Start();
        }
        foreach (var t in threads)
            t.Join();
        close(fd);
        watch.Stop();
        Console.WriteLine($"{{\"services\":{services.Count},\"realServers\":{counts.Sum()},\"sockets\":{sockets},\"seconds\":{watch.Elapsed.TotalSeconds:F4}}}");
        return 0;
    }

    delegate void OnMessage(ReadOnlySpan<byte> attrs);

    /// <summary>
    /// Receives a dump's replies until NLMSG_DONE, handing each message's attributes (after the genlmsghdr) on. One
    /// recvmmsg takes up to two datagrams (each in one half of <paramref name="rbuf"/>): the kernel queues a dump's last
    /// chunk and its NLMSG_DONE together, so a small dump costs one receive, as far as the kernel allows.
    /// </summary>
    static void Dump(int fd, byte[] rbuf, OnMessage each)
    {
        int half = rbuf.Length / 2;
        var iov = stackalloc IoVec[2];
        var msgs = stackalloc MMsgHdr[2];
        while (true)
        {
            int got;
            uint len0, len1;
            fixed (byte* p = rbuf)
            {
                for (int i = 0; i < 2; i++)
                {
                    iov[i] = new IoVec { Base = p + i * half, Length = half };
                    msgs[i] = new MMsgHdr { Header = new MsgHdr { Iov = &iov[i], IovLength = 1 } };
                }
                got = recvmmsg(fd, msgs, 2, MSG_WAITFORONE, null);
                if (got < 0)
                    throw new IOException($"recvmmsg: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                (len0, len1) = (msgs[0].Length, msgs[1].Length);
            }
            if (Walk(rbuf.AsSpan(0, (int)len0), each) || (got == 2 && Walk(rbuf.AsSpan(half, (int)len1), each)))
                return;
        }
    }

    /// <summary>Hands on the messages of one datagram; true at NLMSG_DONE.</summary>
    static bool Walk(ReadOnlySpan<byte> d, OnMessage each)
    {
        for (int off = 0; off + 16 <= d.Length;)
        {
            int mlen = (int)BinaryPrimitives.ReadUInt32LittleEndian(d[off..]);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(d[(off + 4)..]);
            if (type == NLMSG_DONE)
                return true;
            if (type == NLMSG_ERROR)
                throw new IOException($"dump: {Marshal.GetPInvokeErrorMessage(-BinaryPrimitives.ReadInt32LittleEndian(d[(off + 16)..]))}");
            each(d.Slice(off + 20, mlen - 20));
            off += Align(mlen);
        }
        return false;
    }

    // ---- the socket and the family ----

    static int Open(out ushort family)
    {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        if (fd < 0)
            throw new IOException($"socket(AF_NETLINK): {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        var q = new byte[64];
        int pos = Header(q, 0, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 1, CTRL_CMD_GETFAMILY);
        pos = Attr(q, pos, CTRL_ATTR_FAMILY_NAME, "IPVS\0"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(q, (uint)pos);
        Send(fd, q, pos);
        var r = new byte[8192];
        int len = Recv(fd, r);
        if (BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(4)) == NLMSG_ERROR)
            throw new IOException($"family IPVS: {Marshal.GetPInvokeErrorMessage(-BinaryPrimitives.ReadInt32LittleEndian(r.AsSpan(16)))} (ip_vs not loaded?)");
        family = 0;
        foreach (var (type, value) in Attrs(r.AsSpan(20, (int)BinaryPrimitives.ReadUInt32LittleEndian(r) - 20)))
            if (type == CTRL_ATTR_FAMILY_ID)
                family = BinaryPrimitives.ReadUInt16LittleEndian(value);
        Recv(fd, r); // the ACK
        return fd;
    }

    static void Send(int fd, byte[] buf, int len)
    {
        fixed (byte* p = buf)
            if (send(fd, p, len, 0) != len)
                throw new IOException($"send: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    static int Recv(int fd, byte[] buf)
    {
        fixed (byte* p = buf)
        {
            nint n = recv(fd, p, buf.Length, 0);
            if (n < 0)
                throw new IOException($"recv: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            return (int)n;
        }
    }

    // ---- encoding: nlmsghdr + genlmsghdr, attributes (host order, ports network order) ----

    static int Align(int n) => (n + 3) & ~3;

    static int Header(byte[] b, int pos, ushort type, ushort flags, uint seq, byte cmd)
    {
        var s = b.AsSpan(pos);
        BinaryPrimitives.WriteUInt32LittleEndian(s, 0); // length: set by the caller when the message is complete
        BinaryPrimitives.WriteUInt16LittleEndian(s[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(s[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], seq);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], 0);
        s[16] = cmd; s[17] = 1; s[18] = 0; s[19] = 0;
        return pos + 20;
    }

    static int Attr(byte[] b, int pos, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(pos), (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(pos + 2), type);
        value.CopyTo(b.AsSpan(pos + 4));
        int end = pos + Align(4 + value.Length);
        b.AsSpan(pos + 4 + value.Length, end - pos - 4 - value.Length).Clear();
        return end;
    }

    static int U16(byte[] b, int pos, ushort type, ushort v) { Span<byte> s = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(s, v); return Attr(b, pos, type, s); }
    static int Be16(byte[] b, int pos, ushort type, ushort v) { Span<byte> s = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(s, v); return Attr(b, pos, type, s); }
    static int U32(byte[] b, int pos, ushort type, uint v) { Span<byte> s = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(s, v); return Attr(b, pos, type, s); }

    static int Begin(byte[] b, ref int pos, ushort type)
    {
        int start = pos;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(pos + 2), (ushort)(type | NLA_F_NESTED));
        pos += 4;
        return start;
    }

    static void End(byte[] b, int start, int pos) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(start), (ushort)(pos - start));

    static int ServiceKey(byte[] b, int pos, Svc s)
    {
        pos = U16(b, pos, SVC_AF, s.Af);
        if (s.Fwmark != 0)
            return U32(b, pos, SVC_FWMARK, s.Fwmark);
        pos = U16(b, pos, SVC_PROTOCOL, s.Protocol);
        pos = Attr(b, pos, SVC_ADDR, s.Addr);
        return Be16(b, pos, SVC_PORT, s.Port);
    }

    // ---- decoding: walk attributes ----

    static ReadOnlySpan<byte> Nested(ReadOnlySpan<byte> attrs, ushort type)
    {
        foreach (var (t, v) in Attrs(attrs))
            if (t == type)
                return v;
        throw new InvalidDataException($"attribute {type} missing");
    }

    static AttrEnumerator Attrs(ReadOnlySpan<byte> s) => new(s);

    readonly ref struct NlAttr(ushort type, ReadOnlySpan<byte> value)
    {
        readonly ReadOnlySpan<byte> _value = value;
        public void Deconstruct(out ushort t, out ReadOnlySpan<byte> v) { t = type; v = _value; }
    }

    ref struct AttrEnumerator(ReadOnlySpan<byte> rest)
    {
        ReadOnlySpan<byte> _rest = rest;
        public NlAttr Current { get; private set; }
        public readonly AttrEnumerator GetEnumerator() => this;
        public bool MoveNext()
        {
            if (_rest.Length < 4)
                return false;
            int len = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            if (len < 4 || len > _rest.Length)
                throw new InvalidDataException($"attribute of length {len} in {_rest.Length} bytes");
            Current = new((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]) & 0x3fff), _rest[4..len]);
            _rest = _rest[Math.Min(Align(len), _rest.Length)..];
            return true;
        }
    }
}
