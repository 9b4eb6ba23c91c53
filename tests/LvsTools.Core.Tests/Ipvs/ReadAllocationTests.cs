using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Netlink;
using Xunit.Abstractions;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// What reading a large table allocates beside what the result keeps: the benchmark's table (N TCP services on
/// 10.100.x.y:80, wrr, 4 masquerading real servers 192.168.r.(i % 250 + 1):8080 each, idle), replayed as the UML kernel
/// writes it (64-bit PAD attributes, one datagram per real-server dump, NLMSG_DONE in a datagram of its own).
/// </summary>
public class ReadAllocationTests(ITestOutputHelper output)
{
    private const uint Pid = 4242;
    private const ushort Family = 0x21;
    private const int PerService = 4;

    /// <summary>Replays pre-encoded dumps: the service dump, and per service (found by its address) its real servers.</summary>
    private sealed class ReplayKernel : INetlinkTransport
    {
        private readonly List<byte[]> _services = [];
        private readonly Dictionary<uint, byte[]> _dests = [];
        private readonly byte[] _done = FakeTransport.Done(0, Pid);
        private readonly Queue<byte[]> _pending = new();

        public ReplayKernel(int services)
        {
            var w = new NetlinkWriter(40 * 1024);
            for (int i = 0; i < services; i++)
            {
                var s = Service(i);
                Message(w, IpvsNetlink.IPVS_CMD_NEW_SERVICE, x => s.WriteReply(x, align64: true));
                if (w.Length > 32 * 1024 - 400 || i == services - 1)
                {
                    _services.Add(w.WrittenSpan.ToArray());
                    w.Reset();
                }
                var d = new NetlinkWriter(1024);
                for (int r = PerService; r >= 1; r--) // the kernel lists the newest first
                    Message(d, IpvsNetlink.IPVS_CMD_NEW_DEST, x => RealServer(s.Key, i, r).WriteReply(x, align64: true));
                _dests[Key(s.Address!)] = d.WrittenSpan.ToArray();
            }
        }

        public static LvsService Service(int i) => new()
        {
            Protocol = IpvsProtocol.Tcp, Address = new IPAddress([10, (byte)(100 + i / 65536), (byte)(i / 256 % 256), (byte)(i % 256)]), Port = 80,
            Scheduler = "wrr", Flags = ServiceFlags.Hashed,
        };

        public static LvsRealServer RealServer(ServiceKey service, int i, int r) => new()
        {
            Service = service, Address = new IPAddress([192, 168, (byte)r, (byte)(i % 250 + 1)]), Port = 8080,
            ForwardingMethod = ForwardingMethod.Masquerade, Weight = r,
        };

        private static uint Key(IPAddress a)
        {
            Span<byte> b = stackalloc byte[4];
            a.TryWriteBytes(b, out _);
            return BitConverter.ToUInt32(b);
        }

        private static void Message(NetlinkWriter w, byte command, Action<NetlinkWriter> body)
        {
            w.BeginMessage(Family, command, IpvsNetlink.Version, NetlinkFlags.Multi);
            body(w);
            w.EndMessage();
        }

        public uint PortId => Pid;

        public void Send(ReadOnlySpan<byte> datagram)
        {
            var h = NetlinkMessageHeader.Read(datagram);
            byte command = datagram[NetlinkMessageHeader.Size];
            if (command == IpvsNetlink.IPVS_CMD_GET_SERVICE)
            {
                foreach (var d in _services)
                    _pending.Enqueue(Stamp(d, h.Sequence));
            }
            else
            {
                // The service nest: AF (8 bytes), PROTOCOL (8), then ADDR's header and value.
                var attrs = datagram[(NetlinkMessageHeader.Size + 4 + 4)..];
                uint key = BitConverter.ToUInt32(attrs[(8 + 8 + 4)..]);
                _pending.Enqueue(Stamp(_dests[key], h.Sequence));
            }
            _pending.Enqueue(Stamp(_done, h.Sequence));
        }

        private static byte[] Stamp(byte[] d, uint seq)
        {
            for (int off = 0; off < d.Length;)
            {
                var h = NetlinkMessageHeader.Read(d.AsSpan(off));
                (h with { Sequence = seq }).Write(d.AsSpan(off));
                off += NetlinkAlign.Align((int)h.Length);
            }
            return d;
        }

        public int Receive(Span<byte> buffer, TimeSpan timeout)
        {
            var d = _pending.Dequeue();
            d.CopyTo(buffer);
            return d.Length;
        }

        public void Dispose() { }
    }

    private static LvsRealServer Expected(ServiceKey service, int i, int r) =>
        ReplayKernel.RealServer(service, i, r) with { AddressFamily = IPFamily.IPv4, AddressFamilyReported = true, HasStatistics64 = true };

    [Fact]
    public void A_table_read_gives_every_real_server_of_every_service_in_the_kernels_order()
    {
        const int Services = 300;
        using var client = new IpvsClient(new NetlinkConnection(() => new ReplayKernel(Services)), Family);
        var services = client.GetServices();
        Assert.Equal(Enumerable.Range(0, Services).Select(i => ReplayKernel.Service(i).Key), services.Select(s => s.Key));
        var expected = services.Select((s, i) => Enumerable.Range(1, PerService).Reverse().Select(r => Expected(s.Key, i, r)).ToList()).ToList();

        Assert.Equal(expected.SelectMany(l => l), client.GetAllRealServers(services));
        var lists = client.GetRealServersOf(services);
        Assert.Equal(Services, lists.Length);
        for (int i = 0; i < Services; i++)
        {
            Assert.Equal(expected[i], lists[i]);
            Assert.Equal(expected[i], client.GetRealServers(services[i].Key));
        }
    }

    [Fact]
    public void A_table_read_allocates_its_real_servers_and_little_else()
    {
        const int Services = 2_000;
        using var client = new IpvsClient(new NetlinkConnection(() => new ReplayKernel(Services)), Family);
        var services = client.GetServices();
        for (int i = 0; i < 20; i++) // past the first tiers of compilation
            client.GetAllRealServers(services);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var all = client.GetAllRealServers(services);
        long perRealServer = (GC.GetAllocatedBytesForCurrentThread() - before) / all.Count;
        before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var s in services)
            client.GetRealServers(s.Key);
        long perService = (GC.GetAllocatedBytesForCurrentThread() - before) / Services;
        output.WriteLine($"{all.Count} real servers: {perRealServer} bytes allocated per real server by GetAllRealServers, "
            + $"{perService} per service by GetRealServers");
        // The record (about 120 bytes), its address (40) and its place in the list: about 170 bytes. A writer, three
        // delegates, their closures and a list per dump (about 600 bytes a service), and an empty list of unknown attributes
        // per real server, made it 374.
        Assert.True(perRealServer <= 200, $"{perRealServer} bytes allocated per real server");
        Assert.True(perService <= 4 * 200, $"{perService} bytes allocated per service");
    }
}
