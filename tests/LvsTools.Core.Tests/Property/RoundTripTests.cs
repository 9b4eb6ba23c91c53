using System.Net;
using CsCheck;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Ipvs;

namespace LvsTools.Core.Tests.Property;

/// <summary>
/// Random valid objects (what the kernel accepts, including values ipvsadm refuses where the format can carry them)
/// survive every way LvsTools writes and reads them: the IPVS netlink codec (request form and kernel reply form, the
/// latter through the dump engine), the JSON document, and the ipvsadm rules.
/// </summary>
public class RoundTripTests
{
    /// <summary>Objects per property in CI (fixed seed, the same objects every run).</summary>
    private const long CiInputs = 1500;

    private static void Holds<T>(string name, Gen<T> gen, Action<T> property)
    {
        var result = FuzzHarness.Run(FuzzTarget.Property(name, gen, property), stream: (uint)name.GetHashCode(StringComparison.Ordinal) & 0xffff,
            FuzzHarness.Count(CiInputs));
        Assert.True(result.Failure is null, $"{name}: {result.Failure}");
    }

    // ---- codec ----

    [Fact]
    public void Service_request_attributes_decode_to_the_same_service()
    {
        Holds("codec-service-request", ValidModels.Service(ValidModels.Range.Kernel), s =>
        {
            var w = new NetlinkWriter();
            IpvsCodec.WriteService(w, s);
            Assert.Equal(View(s), View(IpvsCodec.ReadService(Nested(w))));
        });
    }

    [Fact]
    public void Real_server_request_attributes_decode_to_the_same_real_server()
    {
        Holds("codec-dest-request", ValidModels.ServiceWithRealServers(ValidModels.Range.Kernel), t =>
        {
            foreach (var r in t.RealServers)
            {
                var w = new NetlinkWriter();
                IpvsCodec.WriteRealServer(w, r);
                Assert.Equal(View(r), View(IpvsCodec.ReadRealServer(Nested(w), t.Service.Key)));
            }
        });
    }

    [Fact]
    public void A_dump_of_kernel_replies_decodes_to_the_same_services_and_real_servers_with_counters()
    {
        var gen = Gen.Select(ValidModels.ServiceWithRealServers(ValidModels.Range.Kernel), ValidModels.Statistics, Gen.Bool);
        Holds("codec-dump-replies", gen, t =>
        {
            var (pair, stats, align64) = t;
            var svc = pair.Service;
            var kernel = new DumpKernel(w => WithStatistics(svc, stats).WriteReply(w, align64),
                pair.RealServers.Select(r => (Action<NetlinkWriter>)(w => r.WriteReply(w, align64))).ToList());
            using var client = new IpvsClient(new NetlinkConnection(() => kernel), DumpKernel.Family);
            var services = client.GetServices();
            Assert.Equal(View(svc), View(Assert.Single(services)));
            Assert.Equal(stats, services[0].Statistics);
            var reals = client.GetRealServers(svc.Key);
            Assert.Equal(pair.RealServers.Select(View), reals.Select(View));
            Assert.Equal(pair.RealServers.Select(r => r.ActiveConnections), reals.Select(r => r.ActiveConnections));
        });
    }

    // ---- JSON document ----

    [Fact]
    public void A_document_of_random_services_reads_back_equal_and_writes_back_byte_identical()
    {
        var gen = Gen.Select(ValidModels.ServiceWithRealServers(ValidModels.Range.Document).Array[0, 4], ValidModels.Timeouts, ValidModels.Daemons);
        Holds("document-json", gen, t =>
        {
            var (pairs, timeouts, daemons) = t;
            var distinct = pairs.DistinctBy(p => p.Service.Key).ToList();
            var doc = LvsConfigurationDocument.From(distinct.Select(p => p.Service), distinct.SelectMany(p => p.RealServers), timeouts, daemons);
            string json = doc.ToJson();
            var back = LvsConfigurationDocument.FromJson(json);
            Assert.Equal(json, back.ToJson());
            AssertSameModel(distinct, back);
            Assert.Equal(timeouts, back.Timeouts?.ToTimeouts());
            Assert.Equal(daemons.OrderBy(d => d.State), back.SyncDaemons!.Select(d => d.ToSyncDaemon()).OrderBy(d => d.State));
        });
    }

    // ---- ipvsadm rules ----

    [Fact]
    public void Rules_written_by_ConvertTo_IpvsadmRule_read_back_to_the_same_services_and_real_servers()
    {
        Holds("document-rules", ValidModels.ServiceWithRealServers(ValidModels.Range.Rules).Array[0, 4], pairs =>
        {
            var distinct = pairs.DistinctBy(p => p.Service.Key).ToList();
            var doc = LvsConfigurationDocument.From(distinct.Select(p => p.Service), distinct.SelectMany(p => p.RealServers), null, null);
            var lines = IpvsadmRules.Format(doc).ToList();
            AssertSameModel(distinct, IpvsadmRules.Parse(lines));
        });
    }

    private static void AssertSameModel(List<(LvsService Service, LvsRealServer[] RealServers)> expected, LvsConfigurationDocument actual)
    {
        var want = expected.OrderBy(p => p.Service.Key.ToString(), StringComparer.Ordinal).ToList();
        var got = actual.Services!.Select(e =>
        {
            var s = e.ToService();
            return (Service: s, RealServers: e.RealServers!.Select(r => r.ToRealServer(s.Key)).ToArray());
        }).OrderBy(p => p.Service.Key.ToString(), StringComparer.Ordinal).ToList();
        Assert.Equal(want.Select(p => View(p.Service)), got.Select(p => View(p.Service)));
        for (int i = 0; i < want.Count; i++)
            Assert.Equal(want[i].RealServers.Select(View).OrderBy(v => v.ToString()), got[i].RealServers.Select(View).OrderBy(v => v.ToString()));
    }

    // ---- what "the same" means: everything a user configures, normalised where the kernel itself normalises ----

    internal sealed record ServiceView(ServiceKey Key, string Scheduler, ServiceFlags Flags, uint Timeout, uint Netmask, string? Engine);

    internal sealed record RealServerView(IPAddress Address, ushort Port, IPFamily Family, ForwardingMethod Method, int Weight, uint Upper, uint Lower,
        TunnelType? Tunnel, ushort TunnelPort, TunnelChecksum? Checksum);

    internal static ServiceView View(LvsService s) =>
        new(s.Key, s.Scheduler, s.Flags & ~ServiceFlags.Hashed, IpvsadmSyntax.Seconds(s.PersistenceTimeout), s.PersistenceNetmask, s.PersistenceEngine);

    internal static RealServerView View(LvsRealServer r)
    {
        bool tunnel = r.ForwardingMethod == ForwardingMethod.Tunnel;
        return new(r.Address, r.Port, r.AddressFamily, r.ForwardingMethod, r.Weight, r.UpperThreshold, r.LowerThreshold,
            tunnel ? r.TunnelType ?? TunnelType.IpIp : null, tunnel ? r.TunnelPort ?? 0 : (ushort)0, tunnel ? r.TunnelChecksum ?? TunnelChecksum.None : null);
    }

    /// <summary>The attributes inside the one nested attribute a Write put in <paramref name="w"/>.</summary>
    private static byte[] Nested(NetlinkWriter w)
    {
        foreach (var a in new NetlinkAttributeReader(w.WrittenSpan))
            return a.Value.ToArray();
        throw new InvalidOperationException("nothing written");
    }

    private static LvsService WithStatistics(LvsService s, IpvsStatistics stats) =>
        s with { Flags = s.Flags | ServiceFlags.Hashed, Statistics = stats };

    /// <summary>Answers GET_SERVICE and GET_DEST dumps as the kernel does: one multipart message per object, then DONE.</summary>
    private sealed class DumpKernel(Action<NetlinkWriter> service, List<Action<NetlinkWriter>> dests) : INetlinkTransport
    {
        public const ushort Family = 0x21;
        private readonly Queue<byte[]> _pending = new();

        public uint PortId => 99;

        public void Send(ReadOnlySpan<byte> datagram)
        {
            var h = NetlinkMessageHeader.Read(datagram);
            byte command = datagram[NetlinkMessageHeader.Size];
            var items = command == IpvsNetlink.IPVS_CMD_GET_SERVICE ? [service] : dests;
            byte reply = command == IpvsNetlink.IPVS_CMD_GET_SERVICE ? IpvsNetlink.IPVS_CMD_NEW_SERVICE : IpvsNetlink.IPVS_CMD_NEW_DEST;
            var all = new List<byte>();
            foreach (var body in items)
            {
                var w = new NetlinkWriter();
                w.BeginMessage(Family, reply, IpvsNetlink.Version, NetlinkFlags.Multi);
                body(w);
                w.EndMessage();
                var b = w.WrittenSpan.ToArray();
                var mh = NetlinkMessageHeader.Read(b);
                new NetlinkMessageHeader(mh.Length, mh.Type, NetlinkFlags.Multi, h.Sequence, PortId).Write(b);
                all.AddRange(b);
            }
            all.AddRange(Tests.Netlink.FakeTransport.Done(h.Sequence, PortId));
            _pending.Enqueue(all.ToArray());
        }

        public int Receive(Span<byte> buffer, TimeSpan timeout)
        {
            var d = _pending.Count > 0 ? _pending.Dequeue() : throw new NetlinkTimeoutException("recvmsg", timeout);
            d.CopyTo(buffer);
            return d.Length;
        }

        public void Dispose() { }
    }
}
