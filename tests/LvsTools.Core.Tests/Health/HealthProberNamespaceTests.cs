using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Health;
using LvsTools.Core.Tests.Kernel;

namespace LvsTools.Core.Tests.Health;

/// <summary>
/// Probes start from the namespace they are given: their sockets and their programs live there, a namespace deleted
/// since it was resolved is an error (never a probe from the wrong place), and many probes at once share one opener.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class HealthProberNamespaceTests
{
    private static void Need() => Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);

    private static TcpListener ListenInside(TestNamespace ns) => ns.Namespace.Run(() =>
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(512);
        return listener;
    });

    private static Task<HealthProbeResult> Probe(HealthCheck check, ushort port, NetNamespace ns) =>
        HealthProber.ProbeAsync(check, IPAddress.Loopback, port, ns, CancellationToken.None);

    [SkippableFact]
    public async Task Tcp_sockets_are_opened_inside_the_namespace()
    {
        Need();
        using var ns = new TestNamespace(veth: false);
        var listener = ListenInside(ns);
        try
        {
            ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
            var inside = await Probe(new HealthCheck(), port, ns.Namespace);
            Assert.True(inside.Healthy, inside.Error);
            Assert.Equal(ns.Name, inside.NetNamespace);
            var outside = await Probe(new HealthCheck(), port, NetNamespace.Current);
            Assert.Equal("connection refused", outside.Error); // the listener is not in the caller's namespace
            var many = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Probe(new HealthCheck(), port, ns.Namespace)));
            Assert.All(many, r => Assert.True(r.Healthy, r.Error));
        }
        finally
        {
            listener.Stop();
        }
    }

    // The TCP checks' thread lives on after it is started, perhaps from inside a namespace (a caller on one of
    // NetNamespace.Run's threads): it moves itself to the process's own, through NetNamespace's own open and setns.
    [SkippableFact]
    public void A_thread_started_inside_a_namespace_moves_itself_to_the_process_namespace()
    {
        Need();
        static ulong Inode(string path) => Core.Netlink.Native.Stat(path, out var id, out int errno) ? id.Inode : throw new IOException($"{path}: errno {errno}");
        using var ns = new TestNamespace(veth: false);
        var (before, after) = ns.Namespace.Run(() =>
        {
            ulong start = Inode("/proc/thread-self/ns/net");
            NetNamespace.EnterProcessNamespace();
            return (start, Inode("/proc/thread-self/ns/net"));
        });
        Assert.Equal(ns.Namespace.Identity, before);
        Assert.Equal(Inode("/proc/self/ns/net"), after);
        NetNamespace.EnterProcessNamespace(); // already there: nothing to do
        Assert.Equal(Inode("/proc/self/ns/net"), Inode("/proc/thread-self/ns/net"));
    }

    [SkippableFact]
    public async Task A_command_runs_inside_the_namespace()
    {
        Need();
        using var ns = new TestNamespace(veth: false);
        string name = "lvsp" + Guid.NewGuid().ToString("N")[..8];
        ns.Ip("link", "add", name, "type", "veth", "peer", "name", name + "p");
        var check = new HealthCheck { Type = HealthCheckType.Command, Command = ["sh", "-c", $"grep -q {name}: /proc/net/dev"] };
        var inside = await Probe(check, 80, ns.Namespace);
        Assert.True(inside.Healthy, inside.Error);
        Assert.Equal("exit code 1", (await Probe(check, 80, NetNamespace.Current)).Error);
    }

    [SkippableFact]
    public async Task A_namespace_deleted_since_it_was_resolved_is_an_error_not_a_probe()
    {
        Need();
        using var ns = new TestNamespace(veth: false); // deleted below; Dispose is then a no-op
        var listener = ListenInside(ns);
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.True((await Probe(new HealthCheck(), port, ns.Namespace)).Healthy);
        TestNamespace.Run("ip", "netns", "del", ns.Name);
        foreach (var type in new[] { HealthCheckType.Tcp, HealthCheckType.Http, HealthCheckType.Dns, HealthCheckType.Command })
        {
            var check = new HealthCheck { Type = type, Command = ["true"] };
            var e = await Assert.ThrowsAsync<LvsException>(() => Probe(check, port, ns.Namespace));
            Assert.Equal("NetNamespaceNotFound", e.ErrorId);
        }
        listener.Stop();
        ns.Namespace.Dispose();
    }
}
