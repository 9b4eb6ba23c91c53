using System.Diagnostics;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;
using Xunit.Abstractions;

namespace LvsTools.Core.Tests.Kernel;

/// <summary>
/// A namespace is known by its nsfs inode, taken when its name is resolved and checked before every write and every
/// socket opened: a namespace deleted, or deleted and re-created under the same name, is never written to by mistake.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class NetNamespaceIdentityTests(ITestOutputHelper output)
{
    private static void Need() => Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);

    private static ulong InodeSeenInside(TestNamespace ns)
    {
        var link = ns.Exec("readlink", "/proc/self/ns/net").Trim(); // net:[4026532...]
        return ulong.Parse(link[5..^1]);
    }

    [SkippableFact]
    public void Identity_is_the_namespace_inode_readlink_shows()
    {
        Need();
        using var ns = new TestNamespace(veth: false);
        Assert.Equal(InodeSeenInside(ns), ns.Namespace.Identity);
        Assert.Null(NetNamespace.Current.Identity);
    }

    [SkippableFact]
    public void Spellings_of_one_namespace_are_the_same_and_others_are_not()
    {
        Need();
        using var a = new TestNamespace(veth: false);
        using var b = new TestNamespace(veth: false);
        Assert.True(NetNamespace.Same(a.Name, "/run/netns/" + a.Name));
        Assert.True(NetNamespace.Same("/var/run/netns/" + a.Name, a.Name));
        Assert.True(NetNamespace.Same(null, ""));
        Assert.True(NetNamespace.Same(null, "/proc/self/ns/net"));
        Assert.False(NetNamespace.Same(a.Name, b.Name));
        Assert.False(NetNamespace.Same(a.Name, null));
        Assert.False(NetNamespace.Same("lvst-no-such-namespace", null));
        // A process inside the namespace names it too.
        using var sleeper = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", a.Name, "sleep", "30"]))!;
        try
        {
            var path = $"/proc/{sleeper.Id}/ns/net";
            for (int i = 0; i < 100 && !NetNamespace.Same(path, a.Name); i++)
                Thread.Sleep(20); // until ip has entered the namespace and exec'd sleep
            Assert.True(NetNamespace.Same(path, a.Name));
            Assert.False(NetNamespace.Same(path, b.Name));
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [SkippableFact]
    public void Deleted_namespace_is_NetNamespaceNotFound_for_writes_sockets_and_sysctls()
    {
        Need();
        var ns = new TestNamespace(veth: false);
        using var route = RouteClient.Open(ns.Namespace);
        var lo = route.RequireInterface("lo");
        ns.Dispose(); // ip netns del: the open socket keeps the namespace alive, the name is gone
        Assert.NotEmpty(route.GetInterfaces()); // reads still reach the orphan through the old socket
        var request = new AddressRequest { InterfaceIndex = lo.Index, InterfaceName = "lo", Address = System.Net.IPAddress.Parse("10.66.0.1"), PrefixLength = 32 };
        var e = Assert.Throws<LvsException>(() => route.AddAddress(request));
        Assert.Equal("NetNamespaceNotFound", e.ErrorId);
        Assert.Equal(LvsErrorKind.NotFound, e.Kind);
        Assert.Contains($"'{ns.Name}' disappeared while the command ran", e.Message);
        Assert.Equal("NetNamespaceNotFound", Assert.Throws<LvsException>(() => route.AddAddresses([request])).ErrorId);
        Assert.Equal("NetNamespaceNotFound", Assert.Throws<LvsException>(() => new SysctlStore(ns.Namespace).Set(SysctlName.Parse("net.ipv4.ip_forward"), "1")).ErrorId);
        using var fresh = ns.Namespace.Connect(NetlinkProtocol.Route);
        Assert.Equal("NetNamespaceNotFound", Assert.Throws<LvsException>(() => new RouteClient(fresh, ns.Namespace).GetInterfaces()).ErrorId);
    }

    [SkippableFact]
    public void Namespace_replaced_under_the_same_name_is_never_entered()
    {
        Need();
        var ns = new TestNamespace(veth: false);
        var resolved = ns.Namespace;
        try
        {
            TestNamespace.Run("ip", "netns", "del", ns.Name);
            TestNamespace.Run("ip", "netns", "add", ns.Name);
            var e = Assert.Throws<LvsException>(resolved.Verify);
            Assert.Equal("NetNamespaceNotFound", e.ErrorId);
            Assert.Contains("now leads to another namespace", e.Message);
            // Every way in checks it: sysctls, and any socket opened afterwards (first or reopened after ENOBUFS).
            Assert.Equal("NetNamespaceNotFound", Assert.Throws<LvsException>(() => resolved.Run(() => 0)).ErrorId);
            using var connection = resolved.Connect(NetlinkProtocol.Route);
            Assert.Equal("NetNamespaceNotFound", Assert.Throws<LvsException>(() => new RouteClient(connection, resolved).GetInterfaces()).ErrorId);
            // Resolved again, the name leads to the new namespace, which works.
            var again = NetNamespace.Resolve(ns.Name);
            Assert.NotEqual(resolved.Identity, again.Identity);
            again.Verify();
            Assert.Equal("0", new SysctlStore(again).Get(SysctlName.Parse("net.ipv4.ip_forward")).Value);
        }
        finally
        {
            ns.Dispose();
        }
    }

    [SkippableFact]
    public void Verify_costs_less_than_a_netlink_request()
    {
        Need();
        using var ns = new TestNamespace(veth: false);
        using var route = RouteClient.Open(ns.Namespace);
        ns.Namespace.Verify();
        route.GetInterface("lo");
        // The fastest of several batches of each: a batch that the scheduler interrupted (CI runs the UML kernel
        // beside this suite on two processors) says nothing about either cost.
        const int n = 60, batches = 7;
        double v = double.MaxValue, r = double.MaxValue;
        for (int b = 0; b < batches; b++)
        {
            var verify = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
                ns.Namespace.Verify();
            v = Math.Min(v, verify.Elapsed.TotalMicroseconds / n);
            var request = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
                route.GetInterface("lo"); // one RTM_GETLINK round trip
            r = Math.Min(r, request.Elapsed.TotalMicroseconds / n);
        }
        output.WriteLine($"NetNamespace.Verify: {v:F1} µs per call; one netlink request: {r:F1} µs (fastest of {batches} batches of {n})");
        // Absolute times vary with the machine (UML traces every syscall); the ratio is what a write pays extra.
        Assert.True(v < 3 * r, $"Verify {v:F1} µs against {r:F1} µs per netlink request");
    }
}
