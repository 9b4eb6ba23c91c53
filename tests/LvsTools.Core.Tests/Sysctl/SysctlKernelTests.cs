using LvsTools.Core.Sysctl;
using LvsTools.Core.Tests.Kernel;

namespace LvsTools.Core.Tests.Sysctl;

/// <summary>Sysctls of a namespace of the test's own, cross-checked with `sysctl -n` there; the host's stay untouched.</summary>
[Trait("Category", "Kernel")]
public sealed class SysctlKernelTests : IDisposable
{
    private readonly TestNamespace? _ns = TestNamespace.Unavailable is null ? new TestNamespace() : null;

    private static void Need() => Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);

    private string HostValue(string key) => File.ReadAllText("/proc/sys/" + key.Replace('.', '/')).Trim();

    [SkippableFact]
    public void Forwarding_set_in_a_namespace_shows_there_and_not_on_the_host()
    {
        Need();
        var host = HostValue("net.ipv4.ip_forward");
        var store = new SysctlStore(_ns!.Namespace);
        var set = IpForwarding.Set(store, IPFamily.IPv4, null, host == "0");
        Assert.Equal(host == "0", set.Enabled);
        Assert.Equal(host == "0" ? "1" : "0", _ns.Exec("sysctl", "-n", "net.ipv4.ip_forward").Trim());
        Assert.Equal(host, HostValue("net.ipv4.ip_forward"));
    }

    [SkippableFact]
    public void Per_interface_and_ipv6_forwarding()
    {
        Need();
        var store = new SysctlStore(_ns!.Namespace);
        IpForwarding.Set(store, IPFamily.IPv4, "veth0", true);
        IpForwarding.Set(store, IPFamily.IPv6, null, true);
        Assert.Equal("1", _ns.Exec("sysctl", "-n", "net.ipv4.conf.veth0.forwarding").Trim());
        Assert.Equal("1", _ns.Exec("sysctl", "-n", "net.ipv6.conf.all.forwarding").Trim());
        Assert.True(IpForwarding.Get(store, IPFamily.IPv6, "veth1").Enabled); // "all" propagates
        var e = Assert.Throws<LvsException>(() => IpForwarding.Get(store, IPFamily.IPv4, "nosuch0"));
        Assert.Equal("InterfaceNotFound", e.ErrorId);
    }

    [SkippableFact]
    public void Wildcards_and_directories_list_what_sysctl_lists()
    {
        Need();
        var store = new SysctlStore(_ns!.Namespace);
        store.Set(SysctlName.Parse("net.ipv4.conf.veth0.arp_ignore"), "1");
        var found = store.Find(SysctlName.Parse("net.ipv4.conf.*.arp_ignore", allowWildcards: true));
        Assert.Equal(["net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.default.arp_ignore", "net.ipv4.conf.lo.arp_ignore",
            "net.ipv4.conf.veth0.arp_ignore", "net.ipv4.conf.veth1.arp_ignore"], found.Select(f => f.Name));
        Assert.Equal("1", found.Single(f => f.Name.Contains("veth0")).Value);
        var expected = _ns.Exec("sysctl", "-a", "-r", "^net\\.ipv4\\.conf\\.veth1\\.").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(" = ")[0]).Order(StringComparer.Ordinal).ToList();
        var mine = store.Find(SysctlName.Parse("net.ipv4.conf.veth1")).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, mine);
    }

    [SkippableFact]
    public void Values_the_kernel_refuses_are_invalid_arguments_and_missing_keys_not_found()
    {
        Need();
        var store = new SysctlStore(_ns!.Namespace);
        var bad = Assert.Throws<LvsException>(() => store.Set(SysctlName.Parse("net.ipv4.ip_forward"), "banana"));
        Assert.Equal(LvsErrorKind.InvalidArgument, bad.Kind);
        var missing = Assert.Throws<LvsException>(() => store.Get(SysctlName.Parse("net.ipv4.no_such_key")));
        Assert.Equal("SysctlNotFound", missing.ErrorId);
    }

    public void Dispose() => _ns?.Dispose();
}
