using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Netlink;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// The drain engine: its decision (Evaluate, no I/O) for every state, and Start/Poll against a fake kernel that holds a
/// real-server table, answers GET_DEST dumps from it and applies SET_DEST and DEL_DEST to it, so that the writes sent
/// are counted and checked.
/// </summary>
public class RealServerDrainTests
{
    private const uint Pid = 4242;
    private const ushort Family = 28;
    private static readonly ServiceKey Tcp80 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly ServiceKey Udp53 = ServiceKey.ForAddress(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.1"), 53);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static LvsRealServer Server(ServiceKey service, uint active, uint inactive, int weight = 3, string address = "10.0.1.11") => new()
    {
        Service = service, Address = IPAddress.Parse(address), Port = service.Port, ForwardingMethod = ForwardingMethod.Masquerade,
        Weight = weight, ActiveConnections = active, InactiveConnections = inactive,
    };

    // ------------------------------------------------------------------ the decision

    [Fact]
    public void Connections_left_before_the_deadline_wait_and_say_how_long_is_left()
    {
        var drain = RealServerDrain.Resume(Server(Tcp80, 0, 0, 0), TimeSpan.FromSeconds(20), false, T0);
        var s = drain.Evaluate(Server(Tcp80, 2, 1, 0) with { PersistentConnections = 4 }, T0.AddSeconds(5));
        Assert.Equal((RealServerDrainState.Waiting, 2u, 1u, 4u), (s.State, s.ActiveConnections, s.InactiveConnections, s.PersistentConnections));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)), (s.Elapsed, s.Remaining));
        Assert.False(s.Finished);
    }

    [Fact]
    public void No_connection_left_completes_even_with_time_left()
    {
        var drain = RealServerDrain.Resume(Server(Tcp80, 0, 0, 0), TimeSpan.FromSeconds(20), false, T0);
        var s = drain.Evaluate(Server(Tcp80, 0, 0, 0), T0.AddSeconds(1));
        Assert.Equal(RealServerDrainState.Completed, s.State);
        Assert.False(s.TimedOut);
    }

    [Fact]
    public void The_timeout_deletes_at_the_deadline_and_not_a_tick_before()
    {
        var drain = RealServerDrain.Resume(Server(Tcp80, 0, 0, 0), TimeSpan.FromSeconds(20), false, T0);
        var current = Server(Tcp80, 1, 0, 0);
        Assert.Equal(RealServerDrainState.Waiting, drain.Evaluate(current, drain.Deadline.AddTicks(-1)).State);
        var at = drain.Evaluate(current, drain.Deadline);
        Assert.Equal((RealServerDrainState.TimedOut, TimeSpan.Zero), (at.State, at.Remaining));
        Assert.True(at.TimedOut);
    }

    [Fact]
    public void A_server_no_longer_in_the_table_is_Gone()
    {
        var drain = RealServerDrain.Resume(Server(Tcp80, 0, 0, 0), TimeSpan.FromSeconds(20), false, T0);
        Assert.Equal(RealServerDrainState.Gone, drain.Evaluate(null, T0.AddSeconds(1)).State);
    }

    [Fact]
    public void UDP_needs_no_wait_unless_asked()
    {
        var busy = Server(Udp53, 0, 7, 0);
        Assert.Equal(RealServerDrainState.Completed, RealServerDrain.Resume(busy, TimeSpan.FromSeconds(20), false, T0).Evaluate(busy, T0).State);
        Assert.Equal(RealServerDrainState.Waiting, RealServerDrain.Resume(busy, TimeSpan.FromSeconds(20), true, T0).Evaluate(busy, T0).State);
        Assert.False(RealServerDrain.Resume(busy, TimeSpan.Zero, false, T0).WaitsForConnections);
        Assert.True(RealServerDrain.Resume(Server(Tcp80, 0, 0), TimeSpan.Zero, false, T0).WaitsForConnections);
    }

    [Fact]
    public void A_negative_timeout_is_InvalidDrainTimeout()
    {
        var e = Assert.Throws<LvsException>(() => RealServerDrain.Resume(Server(Tcp80, 0, 0), TimeSpan.FromSeconds(-1), false, T0));
        Assert.Equal(("InvalidDrainTimeout", LvsErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
    }

    [Fact]
    public void A_resumed_drain_counts_its_timeout_from_when_it_started()
    {
        // A controller restarted 30 s into a 60 s drain: 30 s are left, and the deadline is the original one.
        var drain = RealServerDrain.Resume(Server(Tcp80, 0, 0, 0), TimeSpan.FromSeconds(60), false, T0);
        var s = drain.Evaluate(Server(Tcp80, 1, 0, 0), T0.AddSeconds(30));
        Assert.Equal((TimeSpan.FromSeconds(30), T0.AddSeconds(60)), (s.Remaining, drain.Deadline));
    }

    // ------------------------------------------------------------------ against a fake kernel

    /// <summary>A kernel with one service's real servers; records each IPVS command it gets.</summary>
    private sealed class FakeTable
    {
        public readonly List<LvsRealServer> Servers = [];
        public readonly List<byte> Commands = [];
        public bool ServiceExists = true;
        public int DeleteErrno;

        public IEnumerable<byte[]> Respond(NetlinkMessageHeader h, byte[] payload)
        {
            if (h.Type == GenericNetlink.ControllerId)
            {
                var g = GoldenFile.Load("ipvsadm-ctrl-getfamily.reply.txt");
                return [FakeTransport.Concat(FakeTransport.Message(g.Header.Type, g.Header.Flags, h.Sequence, Pid, g.Payload), FakeTransport.Ack(h, Pid))];
            }
            byte cmd = payload[0];
            Commands.Add(cmd);
            switch (cmd)
            {
                case IpvsNetlink.IPVS_CMD_GET_DEST:
                    return Servers.Select(r => Message(IpvsNetlink.IPVS_CMD_NEW_DEST, h.Sequence, w => r.WriteReply(w)))
                        .Append(FakeTransport.Done(h.Sequence, Pid));
                case IpvsNetlink.IPVS_CMD_GET_SERVICE:
                    return [FakeTransport.Error(h, Pid, Errno.ESRCH)];
                case IpvsNetlink.IPVS_CMD_SET_DEST:
                {
                    var sent = Sent(payload);
                    int i = Servers.FindIndex(r => r.Address.Equals(sent.Address) && r.Port == sent.Port);
                    Servers[i] = Servers[i] with { Weight = sent.Weight };
                    return [FakeTransport.Ack(h, Pid)];
                }
                case IpvsNetlink.IPVS_CMD_DEL_DEST:
                {
                    if (DeleteErrno != 0)
                        return [FakeTransport.Error(h, Pid, DeleteErrno)];
                    var sent = Sent(payload);
                    Servers.RemoveAll(r => r.Address.Equals(sent.Address) && r.Port == sent.Port);
                    return [FakeTransport.Ack(h, Pid)];
                }
                default:
                    throw new InvalidOperationException($"unexpected IPVS command {cmd}");
            }
        }

        private static LvsRealServer Sent(byte[] payload)
        {
            Assert.True(IpvsCodec.TryNested(payload, payload[0], IpvsNetlink.IPVS_CMD_ATTR_DEST, out var attrs));
            return IpvsCodec.ReadRealServer(attrs, Tcp80);
        }

        private static byte[] Message(byte command, uint seq, Action<NetlinkWriter> body)
        {
            var w = new NetlinkWriter();
            w.BeginMessage(Family, command, IpvsNetlink.Version, NetlinkFlags.Multi);
            body(w);
            w.EndMessage();
            var b = w.WrittenSpan.ToArray();
            var h = NetlinkMessageHeader.Read(b);
            new NetlinkMessageHeader(h.Length, h.Type, NetlinkFlags.Multi, seq, Pid).Write(b);
            return b;
        }

        public IpvsClient Open()
        {
            var t = new FakeTransport(Respond, Pid);
            var connection = new NetlinkConnection(() => t);
            var family = GenericNetlink.ResolveFamily(connection, "IPVS");
            return new IpvsClient(connection, family.Id);
        }
    }

    [Fact]
    public void Start_sends_one_weight_0_edit_and_none_when_the_weight_already_is_0()
    {
        var k = new FakeTable();
        k.Servers.Add(Server(Tcp80, 2, 0, weight: 3));
        k.Servers.Add(Server(Tcp80, 0, 0, weight: 0, address: "10.0.1.12"));
        using var client = k.Open();
        RealServerDrain.Start(client, k.Servers[0], TimeSpan.FromSeconds(20), false, T0);
        Assert.Equal([IpvsNetlink.IPVS_CMD_SET_DEST], k.Commands);
        Assert.Equal((0, ForwardingMethod.Masquerade), (k.Servers[0].Weight, k.Servers[0].ForwardingMethod));
        k.Commands.Clear();
        RealServerDrain.Start(client, k.Servers[1], TimeSpan.FromSeconds(20), false, T0);
        Assert.Empty(k.Commands);
    }

    [Fact]
    public void Poll_reads_while_connections_live_and_deletes_once_they_end()
    {
        var k = new FakeTable();
        k.Servers.Add(Server(Tcp80, 2, 1, weight: 3));
        k.Servers.Add(Server(Tcp80, 5, 5, weight: 1, address: "10.0.1.12"));
        using var client = k.Open();
        var drain = RealServerDrain.Start(client, k.Servers[0], TimeSpan.FromSeconds(20), false, T0);
        k.Commands.Clear();

        var waiting = drain.Poll(client, T0.AddSeconds(1));
        Assert.Equal((RealServerDrainState.Waiting, 2u, 1u), (waiting.State, waiting.ActiveConnections, waiting.InactiveConnections));
        Assert.Equal(0, waiting.Server.Weight);
        Assert.Equal([IpvsNetlink.IPVS_CMD_GET_DEST], k.Commands); // a read, no write

        k.Servers[0] = k.Servers[0] with { ActiveConnections = 0, InactiveConnections = 0 };
        k.Commands.Clear();
        var done = drain.Poll(client, T0.AddSeconds(2));
        Assert.Equal(RealServerDrainState.Completed, done.State);
        Assert.Equal([IpvsNetlink.IPVS_CMD_GET_DEST, IpvsNetlink.IPVS_CMD_DEL_DEST], k.Commands);
        Assert.Equal("10.0.1.12", Assert.Single(k.Servers).Address.ToString()); // the other server stays
    }

    [Fact]
    public void Poll_deletes_at_the_timeout_with_connections_left()
    {
        var k = new FakeTable();
        k.Servers.Add(Server(Tcp80, 3, 0, weight: 0));
        using var client = k.Open();
        var drain = RealServerDrain.Resume(k.Servers[0], TimeSpan.FromSeconds(20), false, T0);
        Assert.Equal(RealServerDrainState.Waiting, drain.Poll(client, T0.AddSeconds(19)).State);
        var s = drain.Poll(client, T0.AddSeconds(20));
        Assert.Equal((RealServerDrainState.TimedOut, 3u), (s.State, s.ActiveConnections));
        Assert.Empty(k.Servers);
    }

    [Fact]
    public void A_server_deleted_by_someone_else_is_Gone_and_nothing_is_written()
    {
        var k = new FakeTable();
        k.Servers.Add(Server(Tcp80, 3, 0, weight: 0));
        k.Servers.Add(Server(Tcp80, 3, 0, weight: 1, address: "10.0.1.12"));
        using var client = k.Open();
        var drain = RealServerDrain.Resume(k.Servers[0], TimeSpan.FromSeconds(20), false, T0);
        k.Servers.RemoveAt(0);
        Assert.Equal(RealServerDrainState.Gone, drain.Poll(client, T0.AddSeconds(1)).State);
        Assert.Equal([IpvsNetlink.IPVS_CMD_GET_DEST], k.Commands);
    }

    [Fact]
    public void A_service_deleted_during_the_drain_makes_it_Gone()
    {
        var k = new FakeTable();
        using var client = k.Open();
        var drain = RealServerDrain.Resume(Server(Tcp80, 3, 0, weight: 0), TimeSpan.FromSeconds(20), false, T0);
        Assert.Equal(RealServerDrainState.Gone, drain.Poll(client, T0.AddSeconds(1)).State);
        Assert.Equal([IpvsNetlink.IPVS_CMD_GET_DEST, IpvsNetlink.IPVS_CMD_GET_SERVICE], k.Commands);
    }

    [Fact]
    public void A_delete_that_races_with_someone_else_is_Gone_and_other_refusals_throw()
    {
        var k = new FakeTable { DeleteErrno = Errno.ENOENT };
        k.Servers.Add(Server(Tcp80, 0, 0, weight: 0));
        using var client = k.Open();
        var drain = RealServerDrain.Resume(k.Servers[0], TimeSpan.FromSeconds(20), false, T0);
        Assert.Equal(RealServerDrainState.Gone, drain.Poll(client, T0.AddSeconds(1)).State);
        k.DeleteErrno = Errno.EPERM;
        var e = Assert.ThrowsAny<Exception>(() => drain.Poll(client, T0.AddSeconds(2)));
        Assert.Equal(LvsErrorKind.PermissionDenied, KernelErrors.ToLvsException(e)!.Kind);
    }

    // ------------------------------------------------------------------ the advice

    [Fact]
    public void A_persistent_service_warns_about_templates_unless_expire_quiescent_template_is_1()
    {
        var svc = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Persistent = true, PersistenceTimeout = TimeSpan.FromSeconds(360) };
        var rs = Server(Tcp80, 1, 0);
        var w = Assert.Single(RealServerDrainAdvice.AtStart(svc, rs, new DrainKernelSettings(0, 0)));
        Assert.Contains("net.ipv4.vs.expire_quiescent_template is 0", w);
        Assert.Contains("360 s", w);
        Assert.Contains("is 1", Assert.Single(RealServerDrainAdvice.AtStart(svc, rs, new DrainKernelSettings(1, 0))));
        Assert.Empty(RealServerDrainAdvice.AtStart(svc with { Persistent = false }, rs, new DrainKernelSettings(0, 0)));
    }

    [Fact]
    public void A_timed_out_drain_says_what_expire_nodest_conn_does_to_the_connections_cut_off()
    {
        var timedOut = new RealServerDrainStatus(Server(Tcp80, 2, 1, 0), 2, 1, TimeSpan.FromSeconds(20), TimeSpan.Zero, RealServerDrainState.TimedOut);
        Assert.Contains("dropped silently", RealServerDrainAdvice.AtTimeout(timedOut, new DrainKernelSettings(0, 0)));
        Assert.Contains("expire_nodest_conn is 1", RealServerDrainAdvice.AtTimeout(timedOut, new DrainKernelSettings(0, 1)));
        Assert.Null(RealServerDrainAdvice.AtTimeout(timedOut with { State = RealServerDrainState.Completed }, new DrainKernelSettings(0, 0)));
    }
}
