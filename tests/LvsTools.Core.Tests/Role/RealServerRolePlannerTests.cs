using System.Net;
using LvsTools.Core.Role;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Tests.Role;

public class RealServerRolePlannerTests
{
    private static readonly IPAddress Vip = IPAddress.Parse("10.0.0.100"), Vip6 = IPAddress.Parse("2001:db8::100");

    private static RealServerRoleSnapshot Snapshot(Dictionary<string, string>? sysctls = null, Dictionary<string, bool>? links = null,
        (string, IPAddress, int)[]? addresses = null, string? gateway = "eth0") => new()
    {
        Sysctl = k => (sysctls ?? new()).TryGetValue(k, out var v) ? v : k.Contains(".tunl0.") && !(links ?? new()).ContainsKey("tunl0") ? null : "0",
        LinksUp = links ?? new() { ["lo"] = true, ["eth0"] = true },
        Addresses = (addresses ?? []).ToHashSet(),
        DefaultRouteInterface = gateway,
    };

    private static RealServerRoleRequest Dr(params IPAddress[] vips) => RealServerRolePlanner.Validate(RealServerMode.DirectRouting, vips, null);

    [Fact]
    public void Direct_routing_silences_arp_on_all_and_the_interface_before_the_vip_goes_on_lo()
    {
        var snapshot = Snapshot();
        var request = Dr(Vip);
        var steps = RealServerRolePlanner.Plan(request, snapshot, RealServerRolePlanner.ClientInterface(request, snapshot));
        Assert.Equal(new[]
        {
            "sysctl -w net.ipv4.conf.all.arp_ignore=1", "sysctl -w net.ipv4.conf.eth0.arp_ignore=1",
            "sysctl -w net.ipv4.conf.all.arp_announce=2", "sysctl -w net.ipv4.conf.eth0.arp_announce=2",
            "ip link set dev lo up", "ip addr add 10.0.0.100/32 dev lo",
        }, steps.Select(s => s.Command));
        Assert.All(steps.Take(4), s => Assert.False(s.AlreadySet));
        Assert.True(steps[4].AlreadySet); // lo is up
        Assert.Equal("0", steps[0].Previous);
    }

    [Fact]
    public void What_is_already_so_is_marked_and_stricter_arp_values_count()
    {
        var snapshot = Snapshot(new() { ["net.ipv4.conf.all.arp_ignore"] = "2", ["net.ipv4.conf.eth0.arp_ignore"] = "1",
            ["net.ipv4.conf.all.arp_announce"] = "2", ["net.ipv4.conf.eth0.arp_announce"] = "1" },
            addresses: [("lo", Vip, 32), ("eth0", Vip6, 128)]);
        var steps = RealServerRolePlanner.Plan(Dr(Vip, Vip6), snapshot, "eth0");
        Assert.Equal(new[] { true, true, true, false, true, true, false }, steps.Select(s => s.AlreadySet));
        Assert.Equal("ip addr add 2001:db8::100/128 dev lo", steps[^1].Command); // on eth0 does not count: it belongs on lo
    }

    [Fact]
    public void Ipv6_only_has_no_arp_steps_and_needs_no_interface()
    {
        var request = Dr(Vip6);
        Assert.False(request.NeedsArpSteps);
        Assert.Null(RealServerRolePlanner.ClientInterface(request, Snapshot(gateway: null)));
        var steps = RealServerRolePlanner.Plan(request, Snapshot(gateway: null), null);
        Assert.Equal(new[] { "ip link set dev lo up", "ip addr add 2001:db8::100/128 dev lo" }, steps.Select(s => s.Command));
    }

    [Fact]
    public void The_default_route_names_the_interface_unless_one_is_given()
    {
        var request = RealServerRolePlanner.Validate(RealServerMode.DirectRouting, [Vip], "eth1");
        Assert.Equal("eth1", RealServerRolePlanner.ClientInterface(request, Snapshot()));
        Assert.Equal("eth0", RealServerRolePlanner.ClientInterface(Dr(Vip), Snapshot()));
        Assert.Null(RealServerRolePlanner.ClientInterface(Dr(Vip), Snapshot(gateway: null)));
        // Without one, only the `all` keys are planned; the caller says what is missing.
        var steps = RealServerRolePlanner.Plan(Dr(Vip), Snapshot(gateway: null), null);
        Assert.DoesNotContain(steps, s => s.Target.Contains(".eth0."));
    }

    [Fact]
    public void Tunnel_creates_tunl0_silences_arp_turns_rp_filter_off_brings_it_up_then_adds_the_vip()
    {
        var request = RealServerRolePlanner.Validate(RealServerMode.Tunnel, [Vip], "eth0");
        Assert.True(request.NeedsArpSteps); // Linux answers ARP for an address on tunl0 too
        var steps = RealServerRolePlanner.Plan(request, Snapshot(new() { ["net.ipv4.conf.all.rp_filter"] = "1" }), "eth0");
        Assert.Equal(new[]
        {
            "ip link add tunl0 type ipip",
            "sysctl -w net.ipv4.conf.all.arp_ignore=1", "sysctl -w net.ipv4.conf.eth0.arp_ignore=1",
            "sysctl -w net.ipv4.conf.all.arp_announce=2", "sysctl -w net.ipv4.conf.eth0.arp_announce=2",
            "sysctl -w net.ipv4.conf.all.rp_filter=0", "sysctl -w net.ipv4.conf.tunl0.rp_filter=0",
            "ip link set dev tunl0 up", "ip addr add 10.0.0.100/32 dev tunl0",
        }, steps.Select(s => s.Command));
        Assert.Null(steps[6].Previous); // tunl0 does not exist yet: its key cannot be read
        Assert.All(steps, s => Assert.False(s.AlreadySet));
        // rp_filter must be exactly 0: 2 (loose) still drops what no route leads back to.
        Assert.False(RealServerRolePlanner.Satisfied("net.ipv4.conf.all.rp_filter", "0", "2"));
    }

    [Theory]
    [InlineData("224.0.0.1", "InvalidIPAddress")]
    [InlineData("255.255.255.255", "InvalidIPAddress")]
    [InlineData("0.0.0.0", "InvalidIPAddress")]
    [InlineData("127.0.0.1", "InvalidIPAddress")]
    [InlineData("ff02::1", "InvalidIPAddress")]
    [InlineData("::ffff:10.0.0.1", "InvalidIPAddress")]
    public void Addresses_that_are_not_unicast_are_refused(string address, string id)
    {
        var e = Assert.Throws<LvsException>(() => RealServerRolePlanner.Validate(RealServerMode.DirectRouting, [IPAddress.Parse(address)], null));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(IPAddress.Parse(address).ToString(), e.Message);
    }

    [Fact]
    public void Bad_combinations_are_refused_with_stable_ids()
    {
        Assert.Equal("RealServerRoleInvalid", Assert.Throws<LvsException>(() => RealServerRolePlanner.Validate(RealServerMode.DirectRouting, [], null)).ErrorId);
        Assert.Equal("InvalidInterfaceName", Assert.Throws<LvsException>(() => RealServerRolePlanner.Validate(RealServerMode.DirectRouting, [Vip], "eth/0")).ErrorId);
        Assert.Equal("RealServerRoleInvalid", Assert.Throws<LvsException>(() => RealServerRolePlanner.Validate(RealServerMode.DirectRouting, [Vip], "lo")).ErrorId);
        Assert.Equal("RealServerRoleInvalid", Assert.Throws<LvsException>(() => RealServerRolePlanner.Validate(RealServerMode.Tunnel, [Vip], "lo")).ErrorId);
        var v6 = Assert.Throws<LvsException>(() => RealServerRolePlanner.Validate(RealServerMode.Tunnel, [Vip6], null));
        Assert.Equal(("RealServerRoleIPv6Tunnel", LvsErrorKind.NotSupported), (v6.ErrorId, v6.Kind));
        Assert.Equal(new[] { Vip }, RealServerRolePlanner.Validate(RealServerMode.DirectRouting, [Vip, IPAddress.Parse("10.0.0.100")], null).VirtualAddress);
    }

    [Fact]
    public void Undo_puts_back_only_what_still_holds_what_enable_wrote()
    {
        var request = Dr(Vip);
        var before = Snapshot(new() { ["net.ipv4.conf.all.arp_ignore"] = "0", ["net.ipv4.conf.eth0.arp_ignore"] = "1" },
            links: new() { ["lo"] = false, ["eth0"] = true });
        // What Enable took: everything not already so, with the value it found.
        var taken = RealServerRolePlanner.Plan(request, before, "eth0").Where(s => !s.AlreadySet).ToList();
        Assert.DoesNotContain(taken, s => s.Target == "net.ipv4.conf.eth0.arp_ignore"); // it was 1 already: never recorded
        // Since then someone set all.arp_announce to 1 by hand.
        var after = Snapshot(new() { ["net.ipv4.conf.all.arp_ignore"] = "1", ["net.ipv4.conf.all.arp_announce"] = "1", ["net.ipv4.conf.eth0.arp_announce"] = "2" },
            links: new() { ["lo"] = true, ["eth0"] = true }, addresses: [("lo", Vip, 32)]);
        var undo = RealServerRolePlanner.PlanUndo(taken, after);
        Assert.Equal("ip addr del 10.0.0.100/32 dev lo", undo[0].Command);
        Assert.False(undo[0].AlreadySet);
        Assert.True(undo.Single(u => u.Target == "lo").AlreadySet); // lo stays up
        var announce = undo.Single(u => u.Target == "net.ipv4.conf.all.arp_announce");
        Assert.True(announce.AlreadySet);
        Assert.Contains("someone changed it", announce.Reason);
        var ignore = undo.Single(u => u.Target == "net.ipv4.conf.all.arp_ignore");
        Assert.Equal(("sysctl -w net.ipv4.conf.all.arp_ignore=0", false), (ignore.Command, ignore.AlreadySet));
        Assert.Equal("sysctl -w net.ipv4.conf.eth0.arp_announce=0", undo.Single(u => u.Target == "net.ipv4.conf.eth0.arp_announce").Command);
    }

    [Fact]
    public void The_state_record_keeps_the_first_value_found_and_round_trips_through_its_file()
    {
        var first = new RealServerRoleStep
        {
            Kind = RealServerRoleStepKind.Sysctl, Target = "net.ipv4.conf.all.arp_ignore", Value = "1", Previous = "0",
            Command = "sysctl -w net.ipv4.conf.all.arp_ignore=1", Reason = "r",
        };
        var record = new RealServerRoleRecord { Mode = RealServerMode.DirectRouting, Interface = "eth0", VirtualAddress = [], Steps = [] }
            .Add([first], [Vip], [new PersistedSysctl("net.ipv4.conf.all.arp_ignore", null)], "/x.conf")
            .Add([first with { Previous = "1" }], [Vip, Vip6], [new PersistedSysctl("net.ipv4.conf.all.arp_ignore", "1")], null);
        Assert.Equal("0", Assert.Single(record.Steps).Previous);
        Assert.Equal(new[] { Vip, Vip6 }, record.VirtualAddress);
        Assert.Null(Assert.Single(record.Persisted).Previous);
        Assert.Equal("/x.conf", record.PersistPath);

        var dir = Directory.CreateTempSubdirectory("lvst-role-").FullName;
        try
        {
            var store = new RealServerRoleStateStore(dir);
            Assert.Null(store.Load(NetNamespace.Current));
            store.Save(NetNamespace.Current, record);
            var back = store.Load(NetNamespace.Current)!;
            Assert.Equal(record.Steps, back.Steps);
            Assert.Equal(record.VirtualAddress, back.VirtualAddress);
            Assert.Equal(record.Persisted, back.Persisted);
            // A record whose namespace cookie is another's was left by a namespace that is gone (its inode reused): not ours.
            var path = store.PathFor(NetNamespace.Current);
            var json = File.ReadAllText(path);
            Assert.Matches("\"Cookie\":[0-9]+", json);
            File.WriteAllText(path, System.Text.RegularExpressions.Regex.Replace(json, "\"Cookie\":[0-9]+", "\"Cookie\":1"));
            Assert.Null(store.Load(NetNamespace.Current));
            store.Save(NetNamespace.Current, back with { Steps = [], Persisted = [] });
            Assert.False(File.Exists(store.PathFor(NetNamespace.Current)));
            File.WriteAllText(store.PathFor(NetNamespace.Current), "{not json");
            Assert.Equal("RealServerRoleStateUnreadable", Assert.Throws<LvsException>(() => store.Load(NetNamespace.Current)).ErrorId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Persistence_removes_only_the_named_keys_and_keeps_comments_and_others()
    {
        var dir = Directory.CreateTempSubdirectory("lvst-role-").FullName;
        try
        {
            var file = Path.Combine(dir, "90-lvstools.conf");
            File.WriteAllLines(file, ["# mine", "net.ipv4.ip_forward = 1", "net/ipv4/conf/all/arp_ignore=1"]);
            SysctlPersistence.Save(file, [(SysctlName.Parse("net.ipv4.conf.all.arp_announce"), "2")]);
            SysctlPersistence.Remove(file, [SysctlName.Parse("net.ipv4.conf.all.arp_ignore"), SysctlName.Parse("net.ipv4.conf.all.arp_announce")]);
            Assert.Equal(new[] { "# mine", "net.ipv4.ip_forward = 1" }, File.ReadAllLines(file));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_vip_held_on_another_interface_is_named_as_a_conflict()
    {
        var snapshot = Snapshot(addresses: [("lo", Vip, 32), ("eth0", Vip, 24), ("eth0", IPAddress.Parse("192.0.2.5"), 24)]);
        Assert.Equal(new[] { "10.0.0.100/24 is also on eth0: a real server holds its VIP on lo only, or it answers ARP for it (ip addr del 10.0.0.100/24 dev eth0)" },
            RealServerRolePlanner.Conflicts(Dr(Vip), snapshot));
        var tunnel = RealServerRolePlanner.Validate(RealServerMode.Tunnel, [Vip], null);
        Assert.Equal(2, RealServerRolePlanner.Conflicts(tunnel, snapshot).Count); // on lo and on eth0, not on tunl0
        Assert.Empty(RealServerRolePlanner.Conflicts(Dr(IPAddress.Parse("10.0.0.101")), snapshot));
    }
}
