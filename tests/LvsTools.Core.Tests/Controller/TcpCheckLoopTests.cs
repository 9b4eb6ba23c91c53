using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Controller;
using LvsTools.Core.Tests.Kernel;

namespace LvsTools.Core.Tests.Controller;

/// <summary>
/// The controller's TCP check loop on loopback, with real sockets: what it reports for an accepted, refused and unanswered
/// connect, its schedule (each server on its interval, one probe per server at a time, the bound on connects in flight),
/// rounds, targets replaced and dropped, stop and restart, and that its sockets are made in the director's namespace.
/// </summary>
public sealed class TcpCheckLoopTests : IDisposable
{
    private static readonly ServiceKey Web = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private readonly List<Socket> _sockets = [];
    private readonly ConcurrentQueue<(RealServerId Id, ProbeOutcome Outcome, long At)> _results = new();

    public void Dispose() => _sockets.ForEach(s => s.Dispose());

    private TcpCheckLoop Loop(int maxInFlight = 64, NetNamespace? ns = null) =>
        new(ns ?? NetNamespace.Current, maxInFlight, (id, o) => _results.Enqueue((id, o, Stopwatch.GetTimestamp())));

    private static ControlledRealServer Server(ushort port, HealthCheck check, string address = "127.0.0.1") =>
        new(new LvsRealServer { Service = Web, Address = IPAddress.Parse(address), Port = port, Weight = 1 }, check, false);

    private static HealthCheck Tcp(double intervalMs = 5000, double timeoutMs = 1000) => new()
    {
        Type = HealthCheckType.Tcp,
        Interval = TimeSpan.FromMilliseconds(intervalMs),
        Timeout = TimeSpan.FromMilliseconds(timeoutMs),
    };

    private ushort Listening()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(s);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.Listen(512);
        return (ushort)((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static ushort Closed()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (ushort)((IPEndPoint)s.LocalEndPoint!).Port;
    }

    // A listener whose accept queue is full: new SYNs are dropped, so a connect waits as to a server that hangs.
    private async Task<ushort> Hanging()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(listener);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        for (int i = 0; i < 2; i++)
        {
            var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(c);
            _ = c.ConnectAsync(endpoint);
        }
        await Task.Delay(200);
        return (ushort)endpoint.Port;
    }

    private ProbeOutcome OutcomeOf(ushort port) => _results.Last(r => r.Id.Port == port).Outcome;

    [Fact]
    public async Task A_round_reports_accepted_refused_and_unanswered_connects_in_the_probers_words()
    {
        ushort up = Listening(), down = Closed(), hung = await Hanging();
        var loop = Loop();
        try
        {
            loop.SetTargets([Server(up, Tcp()), Server(down, Tcp()), Server(hung, Tcp(timeoutMs: 300))]);
            var watch = Stopwatch.StartNew();
            await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(3, _results.Count);
            Assert.True(OutcomeOf(up).Healthy);
            Assert.Matches(@"^\d+(\.\d)? ms$", OutcomeOf(up).Detail);
            Assert.Equal(new ProbeOutcome(false, "connection refused"), OutcomeOf(down));
            Assert.Equal(new ProbeOutcome(false, "timed out after 0.3 s"), OutcomeOf(hung));
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
            Assert.Equal(3, loop.Count);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Fact]
    public async Task Each_server_is_probed_on_its_own_interval_one_probe_at_a_time()
    {
        ushort fast = Listening(), slow = Listening();
        var loop = Loop();
        try
        {
            loop.SetTargets([Server(fast, Tcp(intervalMs: 100)), Server(slow, Tcp(intervalMs: 400))]);
            await Task.Delay(1050);
            loop.Stop();
            int fastCount = _results.Count(r => r.Id.Port == fast), slowCount = _results.Count(r => r.Id.Port == slow);
            Assert.InRange(fastCount, 7, 12); // at 0, 100, ... 1000 ms
            Assert.InRange(slowCount, 2, 4); // at 0, 400, 800 ms
            Assert.All(_results, r => Assert.True(r.Outcome.Healthy, r.Outcome.Detail));
            // after Stop nothing more is reported
            int after = _results.Count;
            await Task.Delay(300);
            Assert.Equal(after, _results.Count);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Fact]
    public async Task No_more_connects_are_in_flight_than_the_bound()
    {
        ushort hung = await Hanging();
        var loop = Loop(maxInFlight: 2);
        try
        {
            var check = Tcp(timeoutMs: 300) with { Port = hung }; // four servers, one port probed
            loop.SetTargets(Enumerable.Range(1, 4).Select(i => Server((ushort)(1000 + i), check)));
            var watch = Stopwatch.StartNew();
            await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
            // two at a time, each waiting its 0.3 s: two waves
            Assert.Equal(4, _results.Count);
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(5));
            var ends = _results.Select(r => r.At).Order().ToArray();
            Assert.True(Stopwatch.GetElapsedTime(ends[1], ends[2]) >= TimeSpan.FromMilliseconds(250), "the second wave started before the first ended");
        }
        finally
        {
            loop.Stop();
        }
    }

    [Fact]
    public async Task A_replaced_check_is_due_at_once_and_a_dropped_server_is_not_probed_again()
    {
        ushort a = Listening(), b = Listening();
        var loop = Loop();
        try
        {
            loop.SetTargets([Server(a, Tcp()), Server(b, Tcp())]);
            await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(2, _results.Count);
            // the same check: nothing due for 5 s; a's check changed: due now; b dropped
            var changed = Tcp(timeoutMs: 900);
            loop.SetTargets([Server(a, changed)]);
            await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(200);
            Assert.Equal(3, _results.Count);
            Assert.Equal(2, _results.Count(r => r.Id.Port == a));
            Assert.Equal(1, loop.Count);
            loop.SetTargets([Server(a, changed)]); // unchanged (the same check): keeps its schedule
            await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(3, _results.Count);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Fact]
    public async Task Stopped_it_ends_its_thread_and_the_next_targets_start_another()
    {
        ushort up = Listening();
        var loop = Loop();
        loop.SetTargets([Server(up, Tcp())]);
        await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
        loop.Stop();
        var watch = Stopwatch.StartNew(); // joined: the kernel's task goes a moment later
        while (LoopThreads() > 0 && watch.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(20);
        Assert.Equal(0, LoopThreads());
        await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(1)); // no thread: nothing to wait for
        loop.SetTargets([Server(up, Tcp())]);
        await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
        loop.Stop();
        Assert.Equal(2, _results.Count); // probed again: a new thread forgets the old schedule
    }

    // The loop thread's name as the kernel keeps it (15 characters at most).
    private const string LoopThread = "LvsTools TCP lo";

    private static int LoopThreads() => Process.GetCurrentProcess().Threads.Cast<ProcessThread>().Count(t => ThreadName(t.Id) == LoopThread);

    // The kernel's name of a thread.
    private static string ThreadName(int tid)
    {
        try
        {
            return File.ReadAllText($"/proc/self/task/{tid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static ulong NamespaceOf(string path)
    {
        Assert.True(LvsTools.Core.Netlink.Native.Stat(path, out var id, out int errno), $"stat {path}: errno {errno}");
        return id.Inode;
    }

    [SkippableFact]
    public async Task Its_sockets_are_made_in_the_directors_namespace_and_a_deleted_namespace_fails_the_checks()
    {
        Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);
        using var ns = new TestNamespace(veth: false);
        // a listener inside the namespace only: from the process's own namespace that port is closed
        var listener = ns.Namespace.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            s.Listen(16);
            return s;
        });
        _sockets.Add(listener);
        ushort port = (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;
        var loop = Loop(ns: ns.Namespace);
        try
        {
            loop.SetTargets([Server(port, Tcp(intervalMs: 200))]);
            await loop.RoundAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(OutcomeOf(port).Healthy, OutcomeOf(port).Detail);
            // the loop's thread made its sockets there and came back to the process's own namespace
            var loopThread = Assert.Single(Process.GetCurrentProcess().Threads.Cast<ProcessThread>(), t => ThreadName(t.Id) == LoopThread);
            Assert.Equal(NamespaceOf("/proc/self/ns/net"), NamespaceOf($"/proc/self/task/{loopThread.Id}/ns/net"));
            Assert.NotEqual(NamespaceOf("/proc/self/ns/net"), NamespaceOf($"/run/netns/{ns.Name}"));
            TestNamespace.Run("ip", "netns", "del", ns.Name);
            await Task.Delay(TcpCheckLoop.VerifyEvery + TimeSpan.FromMilliseconds(700));
            var last = OutcomeOf(port);
            Assert.False(last.Healthy);
            Assert.Contains("disappeared", last.Detail);
        }
        finally
        {
            loop.Stop();
        }
    }
}
