using System.Net;
using CsCheck;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Tests.Property;

/// <summary>
/// Every parser of LvsTools.Core that reads what it did not write itself: netlink replies (framing, attributes, the IPVS
/// and rtnetlink decoders), JSON documents, ipvsadm rules, the connection table, sysctl and namespace names, addresses.
/// One line per parser and input shape; adding one is one line.
/// </summary>
public static class FuzzTargets
{
    private static readonly ServiceKey V4Service = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly ServiceKey V6Service = ServiceKey.ForAddress(IpvsProtocol.Udp, IPAddress.Parse("2001:db8::1"), 53);

    private static void WalkAll(byte[] b) => Walk(b, 0);

    private static void Walk(ReadOnlySpan<byte> b, int depth)
    {
        foreach (var a in new NetlinkAttributeReader(b))
        {
            _ = a.String();
            if (a.Value.Length is 4 or 16)
                _ = a.Address();
            if (depth < 4)
                Walk(a.Value, depth + 1);
        }
    }

    private static void ReadDocument(string json)
    {
        var doc = LvsConfigurationDocument.FromJson(json);
        // What Import and Sync do next with a document: turn every entry into the model.
        foreach (var s in doc.Services ?? [])
        {
            var svc = s.ToService();
            foreach (var r in s.RealServers ?? [])
            {
                r.ToRealServer(svc.Key);
                s.HealthCheckFor(r); // and what the controller reads (schemaVersion 2)
            }
            _ = (s.OnFailure, s.DrainTimeout, s.SorryServerFor(svc.Key), s.HealthCheck?.ToHealthCheck());
        }
        doc.Timeouts?.ToTimeouts();
        foreach (var d in doc.SyncDaemons ?? [])
            d.ToSyncDaemon();
        _ = doc.ToJson();
    }

    private static void Addresses(string text)
    {
        Try(() => IPNetworkMath.Parse(text));
        Try(() => IPNetworkMath.ParseAddress(text));
        Try(() => VirtualIpPlanner.ParseAddress(new VirtualIpSpec { InterfaceName = "eth0", Address = text }));
        Try(() => VirtualIpPlanner.ParseAddress(new VirtualIpSpec { InterfaceName = "eth0", Address = "10.0.0.1", SubnetMask = text }));
        Try(() => IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, text, LvsConfigurationValidator.DocumentLevel));
        Try(() => IpvsadmSyntax.ParseNetmask(IPFamily.IPv6, text, LvsConfigurationValidator.DocumentLevel));
        Try(() => IpvsadmSyntax.ParseSchedulerFlags(text.Split(',')));
        Try(() => IpvsadmRules.Parse(["-A -t " + text, "-a -t " + text + " -r " + text]));
    }

    private static void Try(Action a)
    {
        try { a(); }
        catch (LvsException) { }
    }

    // ---- /proc/net/ip_vs_conn ----

    private static readonly Gen<string> ConnectionTable = Gen.Frequency(
        (1, FuzzInputs.Text),
        (3, Gen.Select(Gen.OneOf("TCP", "UDP", "", "Pro"), Gen.OneOf("0A000001", "0A00000", "ZZ000001", "2001:db8::1", "::", "x"),
                Gen.OneOf("0050", "FFFF", "10000", "-1", ""), Gen.OneOf("ESTABLISHED", "NONE"), Gen.OneOf("59", "4294967296", "-1", "x"),
                Gen.OneOf("", " sip", " sip call-id", " "))
            .Select(t => $"{t.Item1} {t.Item2} {t.Item3} {t.Item2} {t.Item3} {t.Item2} {t.Item3} {t.Item4} {t.Item5}{t.Item6}")
            .Array[1, 5].Select(lines => "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n" + string.Join('\n', lines))));

    // ---- whole datagrams through NetlinkConnection and the IPVS / rtnetlink clients ----

    private const ushort FamilyId = 0x20;

    /// <summary>A reply datagram: messages of random type and flags carrying structured payloads; the engine stamps nothing, so
    /// the generator writes the sequence and port id the request will have (see <see cref="FeedEngine"/>).</summary>
    private static readonly Gen<(int Client, byte[][] Messages, int[] Types, ushort[] Flags, bool KeepSequence)> ReplyDatagrams =
        Gen.Select(Gen.Int[0, 8],
            Gen.Frequency((3, FuzzInputs.WithHeader(GenericNetlink.HeaderSize)), (1, FuzzInputs.WithHeader(16)), (1, FuzzInputs.WithHeader(8)),
                (1, Gen.Select(Gen.Frequency((6, Gen.Int[-140, 1]), (1, Gen.Int)), FuzzInputs.AnyAttributes, (err, tail) => ErrorPayload(err, tail)))).Array[0, 5],
            Gen.OneOf(2, 3, 1, 4, FamilyId, RouteClient.RTM_NEWLINK, RouteClient.RTM_NEWADDR, 0x7fff, 0).Array[5],
            Gen.Frequency((4, Gen.OneOf((ushort)NetlinkFlags.Multi, (ushort)0, (ushort)(NetlinkFlags.Multi | NetlinkFlags.DumpInterrupted),
                (ushort)(NetlinkFlags.Capped | NetlinkFlags.AckTlvs), (ushort)NetlinkFlags.AckTlvs)), (1, Gen.UShort)).Array[5],
            Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false))));

    private static byte[] ErrorPayload(int error, byte[] tail)
    {
        var b = new byte[4 + NetlinkMessageHeader.Size + tail.Length];
        NativeEndian.Put(b, error);
        new NetlinkMessageHeader((uint)(NetlinkMessageHeader.Size + tail.Length % 24), FamilyId, NetlinkFlags.Request, 1, 0).Write(b.AsSpan(4));
        tail.CopyTo(b, 4 + NetlinkMessageHeader.Size);
        return b;
    }

    [ThreadStatic] private static EngineRig? _rig;

    private sealed class EngineRig
    {
        public const uint Pid = 777;
        public byte[][] Messages = [];
        public int[] Types = [];
        public ushort[] Flags = [];
        public bool KeepSequence;
        public readonly NetlinkConnection Connection;
        public readonly IpvsClient Ipvs;
        public readonly RouteClient Route;

        public EngineRig()
        {
            var transport = new RigTransport(this);
            Connection = new NetlinkConnection(() => transport) { Timeout = TimeSpan.FromMilliseconds(1) };
            Ipvs = new IpvsClient(Connection, FamilyId);
            Route = new RouteClient(Connection);
        }

        /// <summary>Answers every request with the generated datagram, once; nothing is left over for the next input.</summary>
        private sealed class RigTransport(EngineRig rig) : INetlinkTransport
        {
            private byte[]? _pending;

            public uint PortId => Pid;

            public void Send(ReadOnlySpan<byte> datagram)
            {
                var request = NetlinkMessageHeader.Read(datagram);
                var reply = new List<byte>();
                for (int i = 0; i < rig.Messages.Length; i++)
                {
                    uint seq = rig.KeepSequence ? request.Sequence : request.Sequence + (uint)i;
                    reply.AddRange(Tests.Netlink.FakeTransport.Message((ushort)rig.Types[i % rig.Types.Length],
                        (NetlinkFlags)rig.Flags[i % rig.Flags.Length], seq, Pid, rig.Messages[i]));
                }
                _pending = reply.ToArray();
            }

            public int Receive(Span<byte> buffer, TimeSpan timeout)
            {
                var d = _pending ?? throw new NetlinkTimeoutException("recvmsg", timeout);
                _pending = null;
                d.AsSpan(0, Math.Min(d.Length, buffer.Length)).CopyTo(buffer);
                return Math.Min(d.Length, buffer.Length);
            }

            public void Reset() => _pending = null;

            public void Dispose() => _pending = null;
        }
    }

    private static void FeedEngine((int Client, byte[][] Messages, int[] Types, ushort[] Flags, bool KeepSequence) input)
    {
        var rig = _rig ??= new EngineRig();
        rig.Messages = input.Messages;
        rig.Types = input.Types;
        rig.Flags = input.Flags;
        rig.KeepSequence = input.KeepSequence;
        switch (input.Client)
        {
            case 0: rig.Ipvs.GetServices(); break;
            case 1: rig.Ipvs.GetRealServers(V4Service); break;
            case 2: rig.Ipvs.GetSyncDaemons(); break;
            case 3: rig.Ipvs.GetInfo(); break;
            case 4: rig.Ipvs.GetTimeouts(); break;
            case 5: rig.Route.GetInterfaces(); break;
            case 6: rig.Route.GetAddresses(); break;
            case 7: rig.Ipvs.Flush(); break;
            default: rig.Ipvs.GetService(V4Service); break;
        }
    }

    // Declared last: static fields are initialised in order, and the list uses the generators above.
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        // ---- netlink: the attribute reader and every decoder, on raw, well-framed and damaged attribute lists ----
        FuzzTarget.Create("netlink-attributes", FuzzInputs.AnyAttributes, WalkAll),
        FuzzTarget.Create("ipvs-service", FuzzInputs.AnyAttributes, b => IpvsCodec.ReadService(b)),
        FuzzTarget.Create("ipvs-service-message", FuzzInputs.WithHeader(GenericNetlink.HeaderSize), b => IpvsCodec.ReadServiceMessage(b)),
        FuzzTarget.Create("ipvs-service-key", FuzzInputs.AnyAttributes, b => IpvsCodec.ReadServiceKey(b)),
        FuzzTarget.Create("ipvs-dest", Gen.Select(FuzzInputs.AnyAttributes, Gen.Bool), t => IpvsCodec.ReadRealServer(t.Item1, t.Item2 ? V6Service : V4Service)),
        FuzzTarget.Create("ipvs-daemon", FuzzInputs.AnyAttributes, b => IpvsCodec.ReadSyncDaemon(b)),
        FuzzTarget.Create("ipvs-info", FuzzInputs.AnyAttributes, b => IpvsCodec.ReadInfo(b)),
        FuzzTarget.Create("ipvs-config", FuzzInputs.AnyAttributes, b => IpvsCodec.ReadTimeouts(b)),
        FuzzTarget.Create("ipvs-stats", Gen.Select(FuzzInputs.AnyAttributes, Gen.Bool), t => IpvsCodec.ReadStatistics(t.Item1, t.Item2)),
        FuzzTarget.Create("rtnl-link", FuzzInputs.WithHeader(16), b => NetInterface.Parse(b)),
        FuzzTarget.Create("rtnl-addr", FuzzInputs.WithHeader(8), b => NetAlias.Parse(b)),
        // ---- the engine: whole reply datagrams (right sequence and port id, random types, flags and payloads) ----
        FuzzTarget.Create("netlink-replies", ReplyDatagrams, FeedEngine),

        // ---- text ----
        FuzzTarget.Create("json-document", Gen.Frequency((1, FuzzInputs.Text), (4, FuzzInputs.JsonDocument), (2, FuzzInputs.DamagedJsonDocument)), ReadDocument),
        FuzzTarget.Create("ipvsadm-rules", FuzzInputs.RuleLines, lines => IpvsadmRules.Parse(lines)),
        FuzzTarget.Create("ipvs-connection-table", ConnectionTable, text => IpvsConnectionTable.Parse(text)),
        FuzzTarget.Create("sysctl-name", Gen.Select(FuzzInputs.SysctlLike, Gen.Bool), t => SysctlName.Parse(t.Item1, t.Item2)),
        // Resolve only checks the name and whether /run/netns/NAME (or the /proc path) exists: no side effects.
        FuzzTarget.Create("netns-name", Gen.Frequency((3, FuzzInputs.Text), (1, FuzzInputs.SysctlLike),
            (1, Gen.OneOf("/proc/self/ns/net", "/proc/1/ns/net", "/proc/x/ns/net", "/run/netns/", "/run/netns/..", "/run/netns/a/b", "lvst-nosuch"))),
            n => NetNamespace.Resolve(n)),
        FuzzTarget.Create("address", Gen.Frequency((3, FuzzInputs.AddressLike), (1, FuzzInputs.Text)), Addresses),
    ];
}
