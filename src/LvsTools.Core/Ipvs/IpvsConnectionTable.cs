using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace LvsTools
{
    /// <summary>
    /// One entry of the IPVS connection table: a line of `ipvsadm -Lnc` (read from /proc/net/ip_vs_conn; IPVS has no
    /// netlink dump of connections). Persistence templates appear too, with protocol "IP" or the service's protocol
    /// and client port 0.
    /// </summary>
    public sealed record LvsConnection
    {
        /// <summary>TCP, UDP, SCTP (or IP for a persistence template), as the kernel prints it.</summary>
        public required string Protocol { get; init; }
        public required IPAddress ClientAddress { get; init; }
        public ushort ClientPort { get; init; }
        public required IPAddress VirtualAddress { get; init; }
        public ushort VirtualPort { get; init; }
        public required IPAddress DestinationAddress { get; init; }
        public ushort DestinationPort { get; init; }
        /// <summary>The connection's state: ESTABLISHED, FIN_WAIT, TIME_WAIT, NONE, ...</summary>
        public required string State { get; init; }
        /// <summary>Time left before the entry expires (whole seconds).</summary>
        public TimeSpan Expires { get; init; }
        /// <summary>The persistence engine's name (sip), if the entry has one.</summary>
        public string? PersistenceEngine { get; init; }
        /// <summary>The persistence engine's data (the SIP Call-ID), if any.</summary>
        public string? PersistenceData { get; init; }
        /// <summary>The network namespace the table was read from (null: the current one).</summary>
        public string? NetNamespace { get; init; }

        /// <summary>As `ipvsadm -Lnc` prints it: protocol, expiry (mm:ss), state, source, virtual, destination.</summary>
        public override string ToString() =>
            $"{Protocol,-3} {(int)Expires.TotalMinutes:00}:{Expires.Seconds:00}  {State,-11} " +
            $"{IpvsadmSyntax.FormatEndpoint(ClientAddress, ClientPort),-18} {IpvsadmSyntax.FormatEndpoint(VirtualAddress, VirtualPort),-18} " +
            IpvsadmSyntax.FormatEndpoint(DestinationAddress, DestinationPort);
    }
}

namespace LvsTools.Core.Ipvs
{
    /// <summary>
    /// Reads the IPVS connection table of a network namespace from /proc/net/ip_vs_conn. Equivalent to: ipvsadm -Lnc.
    /// Format (net/netfilter/ipvs/ip_vs_conn.c): "Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires PEName PEData";
    /// IPv4 addresses as 8 hex digits of the address in network order, IPv6 addresses in full colon form (%pI6),
    /// ports as 4 hex digits, expiry in seconds; the destination can be of the other family (tunnel servers).
    /// </summary>
    public static class IpvsConnectionTable
    {
        /// <summary>The file the kernel shows the table in, per network namespace (what ipvsadm reads).</summary>
        public const string ProcFile = "/proc/net/ip_vs_conn";

        /// <summary>
        /// The same file as seen by the calling thread. /proc/net is a link to /proc/self/net, which shows the namespace
        /// of the process's main thread; a thread that entered another namespace (NetNamespace.Run) must read
        /// /proc/thread-self/net (Linux ≥ 3.17) to see its own.
        /// </summary>
        public const string ThreadProcFile = "/proc/thread-self/net/ip_vs_conn";

        /// <summary>Reads the table of <paramref name="ns"/>. Equivalent to: ip netns exec NS ipvsadm -Lnc.</summary>
        /// <param name="ns">The namespace; the file is read on a thread inside it.</param>
        /// <param name="procFile">The file to read (tests may point elsewhere); by default the calling thread's view.</param>
        /// <exception cref="LvsException">NotInstalled (IPVSNotInstalled) when the file is missing: no ip_vs module.</exception>
        public static List<LvsConnection> Read(NetNamespace ns, string? procFile = null)
        {
            var text = ns.Run(() =>
            {
                try
                {
                    return File.ReadAllText(procFile ?? (Directory.Exists("/proc/thread-self/net") ? ThreadProcFile : ProcFile));
                }
                catch (DirectoryNotFoundException e)
                {
                    throw new LvsException(LvsErrorKind.NotInstalled, "IPVSNotInstalled",
                        $"{ProcFile} does not exist: IPVS is not available (load the ip_vs module with 'modprobe ip_vs').", ProcFile, e);
                }
                catch (FileNotFoundException e)
                {
                    throw new LvsException(LvsErrorKind.NotInstalled, "IPVSNotInstalled",
                        $"{ProcFile} does not exist: IPVS is not available (load the ip_vs module with 'modprobe ip_vs').", ProcFile, e);
                }
            });
            return Parse(text, ns.Name);
        }

        /// <summary>Parses the file's text (the header line is skipped; malformed lines are a protocol error).</summary>
        /// <param name="text">The file's text.</param>
        /// <param name="netNamespace">The namespace the table was read from, carried by every entry.</param>
        /// <exception cref="LvsException">ProtocolError naming the line.</exception>
        public static List<LvsConnection> Parse(string text, string? netNamespace = null)
        {
            var list = new List<LvsConnection>();
            int lineNo = 0;
            foreach (var raw in text.Split('\n'))
            {
                lineNo++;
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith("Pro ", StringComparison.Ordinal))
                    continue;
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 9)
                    throw Malformed(lineNo, line);
                try
                {
                    list.Add(new LvsConnection
                    {
                        Protocol = f[0],
                        ClientAddress = Address(f[1]),
                        ClientPort = ushort.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                        VirtualAddress = Address(f[3]),
                        VirtualPort = ushort.Parse(f[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                        DestinationAddress = Address(f[5]),
                        DestinationPort = ushort.Parse(f[6], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                        State = f[7],
                        Expires = TimeSpan.FromSeconds(uint.Parse(f[8], CultureInfo.InvariantCulture)),
                        PersistenceEngine = f.Length > 9 ? f[9] : null,
                        PersistenceData = f.Length > 10 ? string.Join(' ', f[10..]) : null,
                        NetNamespace = netNamespace,
                    });
                }
                catch (FormatException)
                {
                    throw Malformed(lineNo, line);
                }
                catch (OverflowException)
                {
                    throw Malformed(lineNo, line);
                }
            }
            return list;
        }

        private static IPAddress Address(string text)
        {
            if (text.Contains(':'))
                return IPAddress.Parse(text);
            if (text.Length != 8)
                throw new FormatException();
            uint v = uint.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, v);
            return new IPAddress(b);
        }

        private static LvsException Malformed(int lineNo, string line) =>
            new(LvsErrorKind.ProtocolError, "IpvsConnectionTableMalformed", $"{ProcFile} line {lineNo} is not a connection entry: '{line}'.", line);
    }
}
