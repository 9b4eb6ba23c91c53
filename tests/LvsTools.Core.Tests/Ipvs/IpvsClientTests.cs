using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Netlink;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// IpvsClient against a fake kernel: a transport that answers the nlctrl family lookup with the captured reply and
/// IPVS requests with canned messages built by the codec itself (kernel form: WriteReply).
/// </summary>
public class IpvsClientTests
{
    private const uint Pid = 4242;
    private const ushort Family = 28;

    private static readonly ServiceKey Tcp80 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    /// <summary>
    /// The fake kernel. <paramref name="ipvs"/> gets (header, command, attributes) of every IPVS request and returns the
    /// reply datagrams; the family lookup is answered from the captured CTRL_CMD_NEWFAMILY (IPVS = 28).
    /// </summary>
    private sealed class FakeKernel
    {
        public readonly List<(NetlinkMessageHeader Header, byte Command, byte[] Attributes)> Requests = [];
        private readonly Func<NetlinkMessageHeader, byte, byte[], IEnumerable<byte[]>> _ipvs;

        public FakeKernel(Func<NetlinkMessageHeader, byte, byte[], IEnumerable<byte[]>> ipvs) => _ipvs = ipvs;

        public IEnumerable<byte[]> Respond(NetlinkMessageHeader h, byte[] payload)
        {
            if (h.Type == GenericNetlink.ControllerId)
            {
                var g = GoldenFile.Load("ipvsadm-ctrl-getfamily.reply.txt");
                return [FakeTransport.Concat(FakeTransport.Message(g.Header.Type, g.Header.Flags, h.Sequence, Pid, g.Payload), FakeTransport.Ack(h, Pid))];
            }
            Assert.Equal(Family, h.Type);
            Requests.Add((h, payload[0], payload[4..]));
            return _ipvs(h, payload[0], payload[4..]);
        }

        public FakeTransport Transport() => new(Respond, Pid);
    }

    /// <summary>Opens the client as IpvsClient.Open does: family lookup through nlctrl, then the IPVS client.</summary>
    private static IpvsClient Open(FakeKernel kernel)
    {
        var t = kernel.Transport();
        var connection = new NetlinkConnection(() => t);
        var family = GenericNetlink.ResolveFamily(connection, "IPVS");
        Assert.Equal(Family, family.Id);
        return new IpvsClient(connection, family.Id);
    }

    private static byte[] IpvsMessage(byte command, uint seq, NetlinkFlags flags, Action<NetlinkWriter> body)
    {
        var w = new NetlinkWriter();
        w.BeginMessage(Family, command, IpvsNetlink.Version, flags);
        body(w);
        w.EndMessage();
        var b = w.WrittenSpan.ToArray();
        var h = NetlinkMessageHeader.Read(b);
        new NetlinkMessageHeader(h.Length, h.Type, flags, seq, Pid).Write(b);
        return b;
    }

    private static byte[] ServiceReply(uint seq, LvsService s) =>
        IpvsMessage(IpvsNetlink.IPVS_CMD_NEW_SERVICE, seq, NetlinkFlags.Multi, w => s.WriteReply(w));

    [Fact]
    public void GetServices_reads_a_multipart_dump_of_NEW_SERVICE_messages()
    {
        var a = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "rr", Flags = ServiceFlags.Hashed };
        var b = new LvsService
        {
            FirewallMark = 7, AddressFamily = IPFamily.IPv6, Scheduler = "sh", Flags = ServiceFlags.Hashed | ServiceFlags.Persistent | ServiceFlags.Sched2,
            PersistenceTimeout = TimeSpan.FromSeconds(60), PersistenceNetmask = 64, PersistenceEngine = "sip",
        };
        var kernel = new FakeKernel((h, cmd, _) =>
        {
            Assert.Equal(IpvsNetlink.IPVS_CMD_GET_SERVICE, cmd);
            Assert.True((h.Flags & NetlinkFlags.Dump) == NetlinkFlags.Dump);
            return [FakeTransport.Concat(ServiceReply(h.Sequence, a), ServiceReply(h.Sequence, b)), FakeTransport.Done(h.Sequence, Pid)];
        });
        using var client = Open(kernel);
        var list = client.GetServices();
        Assert.Equal(2, list.Count);
        Assert.Equal(Tcp80, list[0].Key);
        Assert.Equal("TCP  10.0.0.1:80 rr", list[0].ToString());
        Assert.Equal(ServiceKey.ForFirewallMark(7, IPFamily.IPv6), list[1].Key);
        Assert.True(list[1].Persistent);
        Assert.True(list[1].SchedulerPort);
        Assert.False(list[1].SchedulerFallback);
        Assert.Equal(64, list[1].PersistencePrefixLength);
        Assert.Equal("sip", list[1].PersistenceEngine);
        Assert.Equal("FWM  7 IPv6 sh (sh-port) persistent 60 mask 64 pe sip", list[1].ToString());
        Assert.Single(kernel.Requests);
        Assert.Empty(kernel.Requests[0].Attributes); // a service dump takes no attributes
    }

    /// <summary>A service nest with only the legacy STATS (kernels before 4.1), built by hand.</summary>
    private static byte[] LegacyStatsServiceAttrs(Action<NetlinkWriter>? stats64 = null)
    {
        var w = new NetlinkWriter();
        w.U16(IpvsNetlink.IPVS_SVC_ATTR_AF, 2).U16(IpvsNetlink.IPVS_SVC_ATTR_PROTOCOL, 6);
        w.Address(IpvsNetlink.IPVS_SVC_ATTR_ADDR, IPAddress.Parse("10.0.0.1"), 16).BigEndianU16(IpvsNetlink.IPVS_SVC_ATTR_PORT, 80);
        w.String(IpvsNetlink.IPVS_SVC_ATTR_SCHED_NAME, "wlc");
        w.Attribute(IpvsNetlink.IPVS_SVC_ATTR_FLAGS, [2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        w.U32(IpvsNetlink.IPVS_SVC_ATTR_TIMEOUT, 0).Attribute(IpvsNetlink.IPVS_SVC_ATTR_NETMASK, [0xff, 0xff, 0xff, 0xff]);
        int s = w.BeginNested(IpvsNetlink.IPVS_SVC_ATTR_STATS);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_CONNS, 4_000_000_000).U32(IpvsNetlink.IPVS_STATS_ATTR_INPKTS, 10).U32(IpvsNetlink.IPVS_STATS_ATTR_OUTPKTS, 11);
        w.Attribute(IpvsNetlink.IPVS_STATS_ATTR_PAD, ReadOnlySpan<byte>.Empty);
        w.U64(IpvsNetlink.IPVS_STATS_ATTR_INBYTES, 10_000_000_000UL).U64(IpvsNetlink.IPVS_STATS_ATTR_OUTBYTES, 20_000_000_000UL);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_CPS, 1).U32(IpvsNetlink.IPVS_STATS_ATTR_INPPS, 2).U32(IpvsNetlink.IPVS_STATS_ATTR_OUTPPS, 3);
        w.U32(IpvsNetlink.IPVS_STATS_ATTR_INBPS, 4).U32(IpvsNetlink.IPVS_STATS_ATTR_OUTBPS, 5);
        w.EndNested(s);
        stats64?.Invoke(w);
        return w.WrittenSpan.ToArray();
    }

    [Fact]
    public void Statistics_fall_back_to_the_32_bit_STATS_with_64_bit_byte_counters()
    {
        var s = IpvsCodec.ReadService(LegacyStatsServiceAttrs());
        Assert.False(s.HasStatistics64);
        Assert.Equal(new IpvsStatistics
        {
            Connections = 4_000_000_000, InPackets = 10, OutPackets = 11, InBytes = 10_000_000_000UL, OutBytes = 20_000_000_000UL,
            ConnectionsPerSecond = 1, InPacketsPerSecond = 2, OutPacketsPerSecond = 3, InBytesPerSecond = 4, OutBytesPerSecond = 5,
        }, s.Statistics);
    }

    [Fact]
    public void Statistics_prefer_STATS64_when_the_kernel_sends_both()
    {
        var attrs = LegacyStatsServiceAttrs(w =>
        {
            int s = w.BeginNested(IpvsNetlink.IPVS_SVC_ATTR_STATS64);
            for (ushort t = 1; t <= 10; t++)
                w.U64(t, 5_000_000_000UL + t); // past 2^32: the 32-bit STATS wrapped
            w.EndNested(s);
        });
        var svc = IpvsCodec.ReadService(attrs);
        Assert.True(svc.HasStatistics64);
        Assert.Equal(5_000_000_001UL, svc.Statistics.Connections);
        Assert.Equal(5_000_000_004UL, svc.Statistics.InBytes);
        Assert.Equal(5_000_000_010UL, svc.Statistics.OutBytesPerSecond);
    }

    [Fact]
    public void A_real_server_without_ADDR_FAMILY_takes_the_service_family()
    {
        var v6 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::1"), 443);
        // What a kernel before 3.18 sends: no IPVS_DEST_ATTR_ADDR_FAMILY, no TUN_*, no STATS64.
        var kernel = new FakeKernel((h, cmd, attrs) =>
        {
            Assert.Equal(IpvsNetlink.IPVS_CMD_GET_DEST, cmd);
            Assert.Equal(v6, IpvsCodec.ReadServiceKey(Nested(attrs, IpvsNetlink.IPVS_CMD_ATTR_SERVICE)));
            var msg = IpvsMessage(IpvsNetlink.IPVS_CMD_NEW_DEST, h.Sequence, NetlinkFlags.Multi, w =>
            {
                int d = w.BeginNested(IpvsNetlink.IPVS_CMD_ATTR_DEST, flagged: false);
                w.Address(IpvsNetlink.IPVS_DEST_ATTR_ADDR, IPAddress.Parse("2001:db8::10"));
                w.BigEndianU16(IpvsNetlink.IPVS_DEST_ATTR_PORT, 443);
                w.U32(IpvsNetlink.IPVS_DEST_ATTR_FWD_METHOD, 3).U32(IpvsNetlink.IPVS_DEST_ATTR_WEIGHT, 5);
                w.U32(IpvsNetlink.IPVS_DEST_ATTR_U_THRESH, 0).U32(IpvsNetlink.IPVS_DEST_ATTR_L_THRESH, 0);
                w.U32(IpvsNetlink.IPVS_DEST_ATTR_ACTIVE_CONNS, 7).U32(IpvsNetlink.IPVS_DEST_ATTR_INACT_CONNS, 8).U32(IpvsNetlink.IPVS_DEST_ATTR_PERSIST_CONNS, 9);
                w.U32(99, 12345); // something from a future kernel: kept, not fatal
                w.EndNested(d);
            });
            return [msg, FakeTransport.Done(h.Sequence, Pid)];
        });
        using var client = Open(kernel);
        var rs = Assert.Single(client.GetRealServers(v6));
        Assert.Equal(IPFamily.IPv6, rs.AddressFamily);
        Assert.False(rs.AddressFamilyReported);
        Assert.Equal(IPAddress.Parse("2001:db8::10"), rs.Address);
        Assert.Equal(ForwardingMethod.Route, rs.ForwardingMethod);
        Assert.Equal((5, 7u, 8u, 9u), (rs.Weight, rs.ActiveConnections, rs.InactiveConnections, rs.PersistentConnections));
        Assert.Null(rs.TunnelType);
        var unknown = Assert.Single(rs.UnknownAttributes);
        Assert.Equal(99, unknown.Type);
        Assert.Equal(v6, rs.Service);
    }

    private static byte[] Nested(byte[] attrs, ushort type)
    {
        Assert.True(IpvsNetlink.TryFind(attrs, type, out var v));
        return v.ToArray();
    }

    [Fact]
    public void ENOENT_on_NEW_SERVICE_becomes_SchedulerNotAvailable()
    {
        var kernel = new FakeKernel((h, cmd, _) => [FakeTransport.Error(h, Pid, Errno.ENOENT)]);
        using var client = Open(kernel);
        var svc = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "mh" };
        var e = Assert.Throws<LvsException>(() => client.AddService(svc));
        Assert.Equal("SchedulerNotAvailable", e.ErrorId);
        Assert.Equal(LvsErrorKind.NotSupported, e.Kind); // a known name whose module is missing
        Assert.Equal("mh", e.Target);
        Assert.Contains("ip_vs_mh", e.Message);
        var inner = Assert.IsType<NetlinkException>(e.InnerException);
        Assert.Equal(Errno.ENOENT, inner.Errno);
        Assert.Equal(IpvsNetlink.IPVS_CMD_NEW_SERVICE, kernel.Requests.Single().Command);
    }

    [Fact]
    public void Other_kernel_errors_pass_through_with_their_errno()
    {
        var kernel = new FakeKernel((h, cmd, _) => [FakeTransport.Error(h, Pid, cmd == IpvsNetlink.IPVS_CMD_DEL_SERVICE ? Errno.ESRCH : Errno.ENOENT)]);
        using var client = Open(kernel);
        var e = Assert.Throws<NetlinkException>(() => client.DeleteService(Tcp80));
        var mapped = KernelErrors.From(e);
        Assert.Equal((Errno.ESRCH, LvsErrorKind.NotFound, "IPVS_CMD_DEL_SERVICE", ""), (e.Errno, mapped.Kind, e.Operation, mapped.ErrorId));
        // ENOENT on a real-server command means "no such real server": not translated.
        var e2 = Assert.Throws<NetlinkException>(() => client.DeleteRealServer(Tcp80, IPAddress.Parse("10.0.1.1"), 80));
        Assert.Equal(Errno.ENOENT, e2.Errno);
    }

    [Fact]
    public void GetService_returns_null_when_the_kernel_answers_ESRCH()
    {
        var kernel = new FakeKernel((h, cmd, _) => [FakeTransport.Error(h, Pid, Errno.ESRCH)]);
        using var client = Open(kernel);
        Assert.Null(client.GetService(Tcp80));
        Assert.Equal(IpvsNetlink.IPVS_CMD_GET_SERVICE, kernel.Requests.Single().Command);
        Assert.True((kernel.Requests[0].Header.Flags & NetlinkFlags.Dump) == 0);
    }

    [Fact]
    public void GetRealServers_of_a_missing_service_is_LvsServiceNotFound()
    {
        // The kernel answers a destination dump of a missing service with an empty dump; the client checks with GET_SERVICE.
        var kernel = new FakeKernel((h, cmd, _) => cmd == IpvsNetlink.IPVS_CMD_GET_DEST
            ? [FakeTransport.Done(h.Sequence, Pid)]
            : [FakeTransport.Error(h, Pid, Errno.ESRCH)]);
        using var client = Open(kernel);
        var e = Assert.Throws<LvsException>(() => client.GetRealServers(Tcp80));
        Assert.Equal(("LvsServiceNotFound", LvsErrorKind.NotFound), (e.ErrorId, e.Kind));
        Assert.Equal([IpvsNetlink.IPVS_CMD_GET_DEST, IpvsNetlink.IPVS_CMD_GET_SERVICE], kernel.Requests.Select(r => r.Command));
    }

    [Fact]
    public void Batch_reports_a_failure_in_the_middle_with_its_request_index()
    {
        int seen = 0;
        var kernel = new FakeKernel((h, cmd, _) =>
        {
            int index = seen++;
            if (index == 3)
                return [FakeTransport.Error(h, Pid, Errno.EEXIST)];
            return (h.Flags & NetlinkFlags.Ack) != 0 ? [FakeTransport.Ack(h, Pid)] : [];
        });
        using var client = Open(kernel);
        var services = Enumerable.Range(1, 3).Select(i => new LvsService
        {
            Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse($"10.0.0.{i}"), Port = 80, Scheduler = "rr",
        }).ToList();
        var servers = services.Select(s => new LvsRealServer
        {
            Service = s.Key, Address = IPAddress.Parse("10.0.1.1"), Port = 8080, ForwardingMethod = ForwardingMethod.Masquerade,
        }).ToList();
        var progress = new List<int>();
        var result = client.AddServicesAndRealServers(services, servers, progress.Add);
        Assert.Equal((6, 6, 5, false), (result.Total, result.Sent, result.Succeeded, result.Cancelled));
        var failure = Assert.Single(result.Failures);
        Assert.Equal(3, failure.RequestIndex); // the first real server (services are 0..2)
        Assert.Equal(Errno.EEXIST, failure.Errno);
        Assert.Equal("IPVS batch", failure.Operation);
        Assert.Equal([6], progress);
        // One sendmsg, the six requests in order, an ACK asked only on the last.
        Assert.Equal(
            [IpvsNetlink.IPVS_CMD_NEW_SERVICE, IpvsNetlink.IPVS_CMD_NEW_SERVICE, IpvsNetlink.IPVS_CMD_NEW_SERVICE,
             IpvsNetlink.IPVS_CMD_NEW_DEST, IpvsNetlink.IPVS_CMD_NEW_DEST, IpvsNetlink.IPVS_CMD_NEW_DEST],
            kernel.Requests.Select(r => r.Command));
        Assert.Equal([false, false, false, false, false, true], kernel.Requests.Select(r => (r.Header.Flags & NetlinkFlags.Ack) != 0));
    }

    [Fact]
    public void Apply_validates_everything_before_sending_anything()
    {
        var kernel = new FakeKernel((h, cmd, _) => [FakeTransport.Ack(h, Pid)]);
        using var client = Open(kernel);
        var ops = new IpvsOperation[]
        {
            IpvsOperation.AddService(new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "rr" }),
            IpvsOperation.AddRealServer(new LvsRealServer { Service = Tcp80, Address = IPAddress.Parse("10.0.1.1"), Port = 80, Weight = -1 }),
        };
        var e = Assert.Throws<LvsException>(() => client.Apply(ops));
        Assert.Equal("InvalidWeight", e.ErrorId);
        Assert.StartsWith("Operation 1 (ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w -1): ", e.Message);
        Assert.Empty(kernel.Requests);
    }

    [Fact]
    public void Single_operations_validate_before_sending()
    {
        var kernel = new FakeKernel((h, cmd, _) => [FakeTransport.Ack(h, Pid)]);
        using var client = Open(kernel);
        var e = Assert.Throws<LvsException>(() => client.AddService(new LvsService
        {
            Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "roundrobin",
        }));
        Assert.Equal("InvalidScheduler", e.ErrorId);
        Assert.Empty(kernel.Requests);
    }

    [Fact]
    public void Timeouts_info_and_daemons_are_read_from_their_replies()
    {
        var kernel = new FakeKernel((h, cmd, attrs) => cmd switch
        {
            IpvsNetlink.IPVS_CMD_GET_CONFIG =>
            [
                FakeTransport.Concat(IpvsMessage(IpvsNetlink.IPVS_CMD_SET_CONFIG, h.Sequence, NetlinkFlags.None,
                    w => new LvsTimeouts { Tcp = TimeSpan.FromSeconds(900), TcpFin = TimeSpan.FromSeconds(120), Udp = TimeSpan.FromSeconds(300) }.WriteReply(w)),
                    FakeTransport.Ack(h, Pid)),
            ],
            IpvsNetlink.IPVS_CMD_GET_INFO =>
            [
                FakeTransport.Concat(IpvsMessage(IpvsNetlink.IPVS_CMD_SET_INFO, h.Sequence, NetlinkFlags.None,
                    w => w.U32(IpvsNetlink.IPVS_INFO_ATTR_VERSION, 0x010201).U32(IpvsNetlink.IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096)),
                    FakeTransport.Ack(h, Pid)),
            ],
            IpvsNetlink.IPVS_CMD_GET_DAEMON =>
            [
                IpvsMessage(IpvsNetlink.IPVS_CMD_NEW_DAEMON, h.Sequence, NetlinkFlags.Multi,
                    w => new LvsSyncDaemon { State = SyncDaemonState.Backup, MulticastInterface = "eth1", SyncId = 9, MulticastGroup = IPAddress.Parse("ff02::1:2") }.WriteReply(w)),
                FakeTransport.Done(h.Sequence, Pid),
            ],
            _ => throw new InvalidOperationException($"unexpected command {cmd}"),
        });
        using var client = Open(kernel);
        var t = client.GetTimeouts();
        Assert.Equal(TimeSpan.FromSeconds(120), t.TcpFin);
        var info = client.GetInfo();
        Assert.Equal(new Version(1, 2, 1), info.Version);
        Assert.Equal(4096u, info.ConnectionTableSize);
        Assert.False(string.IsNullOrEmpty(info.KernelVersion));
        var d = Assert.Single(client.GetSyncDaemons());
        Assert.Equal((SyncDaemonState.Backup, "eth1", 9u), (d.State, d.MulticastInterface, d.SyncId));
        Assert.Equal(IPAddress.Parse("ff02::1:2"), d.MulticastGroup);
    }

    [Fact]
    public void Zero_of_one_service_carries_its_identity_and_zero_of_all_carries_nothing()
    {
        var kernel = new FakeKernel((h, cmd, _) => [FakeTransport.Ack(h, Pid)]);
        using var client = Open(kernel);
        client.Zero(Tcp80);
        client.Zero();
        client.Flush();
        Assert.Equal(Tcp80, IpvsCodec.ReadServiceKey(Nested(kernel.Requests[0].Attributes, IpvsNetlink.IPVS_CMD_ATTR_SERVICE)));
        Assert.Empty(kernel.Requests[1].Attributes);
        Assert.Equal([IpvsNetlink.IPVS_CMD_ZERO, IpvsNetlink.IPVS_CMD_ZERO, IpvsNetlink.IPVS_CMD_FLUSH], kernel.Requests.Select(r => r.Command));
    }

    [Fact]
    public void Probe_reports_what_the_dumps_show()
    {
        var svc = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "rr", Flags = ServiceFlags.Hashed };
        var rs = new LvsRealServer { Service = Tcp80, Address = IPAddress.Parse("10.0.1.1"), Port = 80 };
        var kernel = new FakeKernel((h, cmd, attrs) => cmd switch
        {
            IpvsNetlink.IPVS_CMD_GET_INFO =>
            [
                FakeTransport.Concat(IpvsMessage(IpvsNetlink.IPVS_CMD_SET_INFO, h.Sequence, NetlinkFlags.None,
                    w => w.U32(IpvsNetlink.IPVS_INFO_ATTR_VERSION, 0x010201).U32(IpvsNetlink.IPVS_INFO_ATTR_CONN_TAB_SIZE, 1 << 12)),
                    FakeTransport.Ack(h, Pid)),
            ],
            IpvsNetlink.IPVS_CMD_GET_SERVICE => [ServiceReply(h.Sequence, svc), FakeTransport.Done(h.Sequence, Pid)],
            IpvsNetlink.IPVS_CMD_GET_DEST =>
            [
                IpvsMessage(IpvsNetlink.IPVS_CMD_NEW_DEST, h.Sequence, NetlinkFlags.Multi, w => rs.WriteReply(w)),
                FakeTransport.Done(h.Sequence, Pid),
            ],
            _ => throw new InvalidOperationException($"unexpected command {cmd}"),
        });
        using var client = Open(kernel);
        var caps = client.Probe();
        Assert.Equal(new Version(1, 2, 1), caps.IpvsVersion);
        Assert.Equal(4096u, caps.ConnectionTableSize);
        Assert.True(caps.ReportsStatistics64);
        Assert.True(caps.ReportsRealServerAddressFamily);
    }
}
