using System.Collections.Concurrent;
using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Netlink;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// Reads of many services over several connections (IpvsClient.GetRealServersOf, GetRealServersAsync) against a fake
/// kernel shared by all the connections: results in the order asked whatever order the dumps finish in, the failure of
/// the first failing service in that order, a service deleted meanwhile an empty list, and one connection for a small table.
/// </summary>
public class ParallelReadTests
{
    private const uint Pid = 4243;
    private const ushort Family = 28;

    /// <summary>
    /// The kernel of <paramref name="count"/> services; service i has i % 5 real servers (0: a service without any, or
    /// one deleted meanwhile: the kernel answers both with an empty dump). Safe for several connections at once.
    /// </summary>
    private sealed class SharedKernel(int count)
    {
        public readonly ConcurrentDictionary<int, int> DelayMs = new();
        public readonly ConcurrentDictionary<int, int> Errors = new();
        public readonly HashSet<int> Missing = [];
        public readonly List<FakeTransport> Transports = [];
        public int ReadersOpened;

        public static ServiceKey Key(int i) => ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse($"10.0.{i / 250}.{i % 250 + 1}"), 80);

        public static IEnumerable<LvsRealServer> RealServersOf(int i) => Enumerable.Range(0, i % 5).Select(k =>
            new LvsRealServer { Service = Key(i), Address = IPAddress.Parse($"10.1.{i / 250}.{i % 250 + 1}"), Port = (ushort)(8000 + k), Weight = k });

        public static LvsService ServiceOf(int i) => new() { Protocol = IpvsProtocol.Tcp, Address = Key(i).Address, Port = 80, Scheduler = "rr" };

        public LvsService[] Services => Enumerable.Range(0, count).Select(ServiceOf).ToArray();

        public NetlinkConnection Connect()
        {
            var t = new FakeTransport(Respond, Pid);
            lock (Transports)
                Transports.Add(t);
            return new NetlinkConnection(() => t);
        }

        public NetlinkConnection[] OpenReaders(int n)
        {
            Interlocked.Add(ref ReadersOpened, n);
            return Enumerable.Range(0, n).Select(_ => Connect()).ToArray();
        }

        private IEnumerable<byte[]> Respond(NetlinkMessageHeader h, byte[] payload)
        {
            Assert.True(IpvsNetlink.TryFind(payload.AsSpan(4), IpvsNetlink.IPVS_CMD_ATTR_SERVICE, out var nested));
            var key = IpvsCodec.ReadServiceKey(nested);
            int i = Enumerable.Range(0, count).Single(k => Key(k) == key);
            if (DelayMs.TryGetValue(i, out int ms))
                Thread.Sleep(ms);
            if (Errors.TryGetValue(i, out int errno))
                return [FakeTransport.Error(h, Pid, errno)];
            if (payload[0] == IpvsNetlink.IPVS_CMD_GET_SERVICE)
                return Missing.Contains(i)
                    ? [FakeTransport.Error(h, Pid, Errno.ESRCH)]
                    : [FakeTransport.Concat(Message(h.Sequence, IpvsNetlink.IPVS_CMD_NEW_SERVICE, NetlinkFlags.None, w => ServiceOf(i).WriteReply(w)), FakeTransport.Ack(h, Pid))];
            var replies = (Missing.Contains(i) ? [] : RealServersOf(i)).Select(r => Message(h.Sequence, IpvsNetlink.IPVS_CMD_NEW_DEST, NetlinkFlags.Multi, w => r.WriteReply(w)));
            return [FakeTransport.Concat([.. replies, FakeTransport.Done(h.Sequence, Pid)])];
        }

        private static byte[] Message(uint seq, byte command, NetlinkFlags flags, Action<NetlinkWriter> body)
        {
            var w = new NetlinkWriter();
            w.BeginMessage(Family, command, IpvsNetlink.Version, flags);
            body(w);
            w.EndMessage();
            var b = w.WrittenSpan.ToArray();
            var m = NetlinkMessageHeader.Read(b);
            new NetlinkMessageHeader(m.Length, m.Type, flags, seq, Pid).Write(b);
            return b;
        }

        public IpvsClient Client(int readConnections) =>
            new(Connect(), Family, openReaders: OpenReaders) { ReadConnections = readConnections };
    }

    private static string View(IEnumerable<LvsRealServer> list) =>
        string.Join(" ", list.Select(r => $"{r.Service}->{r.Address}:{r.Port}/w{r.Weight}"));

    [Fact]
    public void A_large_table_is_read_on_several_connections_in_the_order_given()
    {
        var kernel = new SharedKernel(200);
        foreach (int i in Enumerable.Range(0, 200))
            kernel.DelayMs[i] = 1 + i % 3;
        kernel.Missing.Add(77); // deleted between the service dump and its own: an empty list in its place
        using var client = kernel.Client(readConnections: 3);
        var lists = client.GetRealServersOf(kernel.Services);
        Assert.Equal(200, lists.Length);
        for (int i = 0; i < lists.Length; i++)
            Assert.Equal(i == 77 ? "" : View(SharedKernel.RealServersOf(i)), View(lists[i]));
        Assert.Equal(2, kernel.ReadersOpened);
        Assert.Equal(3, kernel.Transports.Count);
        Assert.True(kernel.Transports.Count(t => t.SentMessages.Count > 0) >= 2, "the dumps were not spread over the connections");
        Assert.Equal(200, kernel.Transports.Sum(t => t.SentMessages.Count));
        Assert.Equal(200, client.RequestsSent);
        // GetAllRealServers flattens the same lists in the same order.
        Assert.Equal(View(lists.Where((_, i) => i != 77).SelectMany(l => l)), View(client.GetAllRealServers(kernel.Services)));
        Assert.Equal(2, kernel.ReadersOpened); // opened once, kept for the next read
    }

    [Fact]
    public void A_small_table_stays_on_the_clients_own_connection()
    {
        var kernel = new SharedKernel(IpvsClient.ParallelReadThreshold - 1);
        using var client = kernel.Client(readConnections: 4);
        var lists = client.GetRealServersOf(kernel.Services);
        Assert.Equal(View(kernel.Services.SelectMany((_, i) => SharedKernel.RealServersOf(i))), View(lists.SelectMany(l => l)));
        Assert.Equal(0, kernel.ReadersOpened);
        Assert.Single(kernel.Transports);
    }

    [Fact]
    public void The_failure_thrown_is_that_of_the_first_failing_service_in_the_order_given()
    {
        var kernel = new SharedKernel(100);
        kernel.Errors[30] = Errno.EINVAL;
        kernel.DelayMs[30] = 300; // fails last in time
        kernel.Errors[70] = Errno.EPERM;
        using var client = kernel.Client(readConnections: 2);
        var e = Assert.Throws<NetlinkException>(() => client.GetRealServersOf(kernel.Services));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal("IPVS_CMD_GET_DEST", e.Operation);
    }

    [Fact]
    public async Task Reads_started_one_by_one_finish_in_any_order_and_each_answers_for_its_service()
    {
        var kernel = new SharedKernel(12);
        foreach (int i in Enumerable.Range(0, 12))
            kernel.DelayMs[i] = (12 - i) * 5; // the first started is the slowest
        kernel.Missing.Add(5);
        using var client = kernel.Client(readConnections: 3);
        var tasks = kernel.Services.Select(s => client.GetRealServersAsync(s.Key)).ToArray();
        var finished = new ConcurrentQueue<int>();
        await Task.WhenAll(tasks.Select((t, i) => t.ContinueWith(_ => finished.Enqueue(i))));
        for (int i = 0; i < tasks.Length; i++)
        {
            if (i == 5)
            {
                // An empty dump and GET_SERVICE answering ESRCH: the service does not exist, as GetRealServers says it.
                var e = await Assert.ThrowsAsync<LvsException>(() => tasks[i]);
                Assert.Equal(("LvsServiceNotFound", LvsErrorKind.NotFound, SharedKernel.Key(5).ToString()), (e.ErrorId, e.Kind, e.Target as string));
            }
            else
            {
                // Services 0 and 10 have no real servers: an empty dump, then GET_SERVICE finds them.
                Assert.Equal(View(SharedKernel.RealServersOf(i)), View(await tasks[i]));
            }
        }
        Assert.NotEqual(Enumerable.Range(0, 12), finished); // the scenario: later reads did finish first
        Assert.Equal(3, kernel.Transports.Count(t => t.SentMessages.Count > 0));
    }

    [Fact]
    public void Disposing_the_client_cancels_the_reads_not_started_and_ends_its_threads()
    {
        var kernel = new SharedKernel(10);
        foreach (int i in Enumerable.Range(0, 10))
            kernel.DelayMs[i] = 50;
        var client = kernel.Client(readConnections: 1);
        var tasks = kernel.Services.Select(s => client.GetRealServersAsync(s.Key)).ToArray();
        client.Dispose();
        Assert.All(tasks, t => Assert.True(t.IsCompleted));
        Assert.Contains(tasks, t => t.IsCanceled);
        Assert.Throws<ObjectDisposedException>(() => { _ = client.GetRealServersAsync(SharedKernel.Key(0)); });
    }
}
