using System.Net;
using System.Text.Json;
using LvsTools.Core.Route;
using LvsTools.Core.Tests.Kernel;

namespace LvsTools.Core.Tests.Route;

/// <summary>rtnetlink against the running kernel, each test in a namespace of its own, cross-checked with `ip -j`.</summary>
[Trait("Category", "Kernel")]
public sealed class RouteKernelTests : IDisposable
{
    private readonly TestNamespace? _ns;
    private readonly RouteClient? _route;

    public RouteKernelTests()
    {
        if (TestNamespace.Unavailable is null)
        {
            _ns = new TestNamespace();
            _route = RouteClient.Open(_ns.Namespace);
        }
    }

    private TestNamespace Ns => _ns!;
    private RouteClient Rt => _route!;

    private static void Need() => Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);

    private JsonElement IpJson(params string[] args) => JsonDocument.Parse(Ns.Ip(["-j", .. args])).RootElement;

    private static string OperState(NetInterface i) => i.OperationalState switch
    {
        OperationalState.Up => "UP", OperationalState.Down => "DOWN", OperationalState.LowerLayerDown => "LOWERLAYERDOWN", _ => "UNKNOWN",
    };

    [SkippableFact]
    public void Interfaces_match_ip_link_with_counters()
    {
        Need();
        // some traffic on lo so that the counters are not all zero
        Ns.Namespace.Run(() =>
        {
            using var udp = new System.Net.Sockets.UdpClient();
            for (int i = 0; i < 4; i++)
                udp.Send(new byte[100], 100, new IPEndPoint(IPAddress.Loopback, 9));
        });
        // Counters move by themselves (IPv6 neighbour discovery on the veths), so read ours before and after
        // iproute2's: its value must lie between them.
        var ours = Rt.GetInterfaces().ToDictionary(i => i.Name);
        var theirs = IpJson("-s", "link", "show");
        var after = Rt.GetInterfaces().ToDictionary(i => i.Name);
        foreach (var link in theirs.EnumerateArray())
        {
            var name = link.GetProperty("ifname").GetString()!;
            var mine = ours[name];
            Assert.Equal(link.GetProperty("ifindex").GetInt32(), mine.Index);
            Assert.Equal(link.GetProperty("mtu").GetUInt32(), mine.Mtu);
            Assert.Equal(link.GetProperty("address").GetString(), mine.MacAddress);
            // A new veth pair's state moves too (LOWERLAYERDOWN until its carrier is up): iproute2's is ours before or after.
            Assert.Contains(link.GetProperty("operstate").GetString(), new[] { OperState(mine), OperState(after[name]) });
            var stats = link.GetProperty("stats64");
            var later = after[name].Statistics;
            Assert.InRange(stats.GetProperty("rx").GetProperty("packets").GetUInt64(), mine.Statistics.RxPackets, later.RxPackets);
            Assert.InRange(stats.GetProperty("tx").GetProperty("bytes").GetUInt64(), mine.Statistics.TxBytes, later.TxBytes);
            Assert.InRange(stats.GetProperty("rx").GetProperty("dropped").GetUInt64(), mine.Statistics.RxDropped, later.RxDropped);
        }
        Assert.True(ours["lo"].Statistics.RxPackets >= 4);
        Assert.Equal("veth", ours["veth0"].Kind);
        Assert.Null(Rt.GetInterface("nosuch0"));
        Assert.Equal("veth1", Rt.GetInterface("veth1")!.Name);
    }

    [SkippableFact]
    public void Added_virtual_ip_shows_in_ip_addr_with_the_next_free_label()
    {
        Need();
        var req = VirtualIpPlanner.Plan(Rt, new VirtualIpSpec { InterfaceName = "veth0", Address = "192.168.31.173", SubnetMask = "255.255.255.0" });
        Assert.Equal("veth0:1", req.Label);
        Assert.Equal(IPAddress.Parse("192.168.31.255"), req.Broadcast);
        Rt.AddAddress(req);
        var second = VirtualIpPlanner.Plan(Rt, new VirtualIpSpec { InterfaceName = "veth0", Address = "192.168.31.174/24" });
        Assert.Equal("veth0:2", second.Label);
        Rt.AddAddress(second);

        var infos = IpJson("addr", "show", "dev", "veth0")[0].GetProperty("addr_info").EnumerateArray()
            .Where(a => a.GetProperty("family").GetString() == "inet").ToList();
        Assert.Contains(infos, a => a.GetProperty("local").GetString() == "192.168.31.173" && a.GetProperty("prefixlen").GetInt32() == 24 &&
                                    a.GetProperty("label").GetString() == "veth0:1" && a.GetProperty("broadcast").GetString() == "192.168.31.255");
        Assert.Contains(infos, a => a.GetProperty("local").GetString() == "192.168.31.174" && a.GetProperty("label").GetString() == "veth0:2" &&
                                    a.TryGetProperty("secondary", out var s) && s.GetBoolean());

        var mine = Rt.GetAddresses(IPFamily.IPv4).Where(a => a.InterfaceName == "veth0").OrderBy(a => a.Label).ToList();
        Assert.Equal(["veth0:1", "veth0:2"], mine.Select(a => a.Label));
        Assert.True(mine[1].IsSecondary);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), mine[0].SubnetMask);
        Assert.Null(mine[0].ValidLifetime);
    }

    [SkippableFact]
    public void Addresses_written_by_ip_read_back_exactly()
    {
        Need();
        Ns.Ip("addr", "add", "10.9.8.7/20", "brd", "+", "dev", "veth1", "label", "veth1:web");
        Ns.Ip("addr", "add", "2001:db8:5::7/64", "dev", "veth1", "nodad", "valid_lft", "600", "preferred_lft", "300");
        var mine = Rt.GetAddresses().Where(a => a.InterfaceName == "veth1" && a.Scope == AddressScope.Global).ToList();
        var v4 = mine.Single(a => a.AddressFamily == IPFamily.IPv4);
        Assert.Equal("veth1:web", v4.Label);
        Assert.Equal(20, v4.PrefixLength);
        Assert.Equal(IPAddress.Parse("10.9.15.255"), v4.Broadcast);
        var v6 = mine.Single(a => a.AddressFamily == IPFamily.IPv6);
        Assert.Equal(IPAddress.Parse("2001:db8:5::7"), v6.IPAddress);
        Assert.True((v6.Flags & AddressFlags.NoDad) != 0);
        Assert.InRange(v6.ValidLifetime!.Value.TotalSeconds, 590, 600);
        Assert.InRange(v6.PreferredLifetime!.Value.TotalSeconds, 290, 300);
    }

    [SkippableFact]
    public void Duplicate_address_is_EEXIST_and_missing_interface_is_not_found()
    {
        Need();
        var req = VirtualIpPlanner.Plan(Rt, new VirtualIpSpec { InterfaceName = "veth0", Address = "10.0.0.100/32" });
        Rt.AddAddress(req);
        var e = Assert.Throws<LvsTools.Core.Netlink.NetlinkException>(() => Rt.AddAddress(req));
        Assert.Equal(LvsErrorKind.AlreadyExists, KernelErrors.Kind(e.Errno));
        var nf = Assert.Throws<LvsException>(() => VirtualIpPlanner.Plan(Rt, new VirtualIpSpec { InterfaceName = "nosuch0", Address = "10.0.0.1" }));
        Assert.Equal("InterfaceNotFound", nf.ErrorId);
        Assert.Equal(LvsErrorKind.NotFound, nf.Kind);
    }

    [SkippableFact]
    public void Deleted_address_is_gone_from_ip_addr()
    {
        Need();
        var req = VirtualIpPlanner.Plan(Rt, new VirtualIpSpec { InterfaceName = "lo", Address = "10.0.0.100", PrefixLength = 32 });
        Rt.AddAddress(req);
        Assert.Contains("10.0.0.100/32", Ns.Ip("addr", "show", "dev", "lo"));
        var alias = Rt.GetAddresses().Single(a => a.IPAddress.Equals(IPAddress.Parse("10.0.0.100")));
        Assert.Equal("lo:1", alias.Label);
        Rt.DeleteAddress(VirtualIpPlanner.ForDelete(alias));
        Assert.DoesNotContain("10.0.0.100", Ns.Ip("addr", "show", "dev", "lo"));
    }

    [SkippableFact]
    public void Batch_adds_many_addresses_and_reports_the_duplicate()
    {
        Need();
        var link = Rt.RequireInterface("veth0");
        var reqs = Enumerable.Range(1, 300).Select(i => new AddressRequest
        {
            InterfaceIndex = link.Index, InterfaceName = "veth0", Address = IPAddress.Parse($"10.50.{i / 256}.{i % 256}"), PrefixLength = 32,
        }).ToList();
        reqs.Insert(150, reqs[10]); // a duplicate in the middle
        var r = Rt.AddAddresses(reqs);
        Assert.Equal(300, r.Succeeded);
        var failure = Assert.Single(r.Failures);
        Assert.Equal(150, failure.RequestIndex);
        Assert.Equal(LvsErrorKind.AlreadyExists, KernelErrors.Kind(failure.Errno));
        Assert.Equal(300, IpJson("-4", "addr", "show", "dev", "veth0")[0].GetProperty("addr_info").GetArrayLength());
    }

    [SkippableFact]
    public void Namespace_work_leaves_the_calling_thread_where_it_was()
    {
        Need();
        string before = new FileInfo("/proc/thread-self/ns/net").LinkTarget!;
        Rt.GetInterfaces();
        Assert.Equal(before, new FileInfo("/proc/thread-self/ns/net").LinkTarget);
        var inside = Ns.Namespace.Run(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget);
        Assert.NotEqual(before, inside);
    }

    public void Dispose()
    {
        _route?.Dispose();
        _ns?.Dispose();
    }
}
