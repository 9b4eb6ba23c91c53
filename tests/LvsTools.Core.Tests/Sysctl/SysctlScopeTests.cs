using LvsTools.Core.Sysctl;
using LvsTools.Core.Tests.Kernel;

namespace LvsTools.Core.Tests.Sysctl;

/// <summary>Which sysctls belong to a network namespace and which to the whole host.</summary>
public sealed class SysctlScopeTests
{
    [Theory]
    [InlineData("kernel.printk_ratelimit", SysctlScope.Host)]
    [InlineData("vm.swappiness", SysctlScope.Host)]
    [InlineData("fs.file-max", SysctlScope.Host)]
    [InlineData("user.max_net_namespaces", SysctlScope.Host)]
    [InlineData("net.core.rmem_max", SysctlScope.Host)]
    [InlineData("net.core.netdev_max_backlog", SysctlScope.Host)]
    [InlineData("net.ipv4.tcp_mem", SysctlScope.Host)]
    [InlineData("net.netfilter.nf_conntrack_max", SysctlScope.Host)]
    [InlineData("net.ipv4.neigh.default.gc_thresh3", SysctlScope.Host)]
    [InlineData("net/ipv6/neigh/default/gc_thresh1", SysctlScope.Host)]
    [InlineData("net.ipv4.ip_forward", SysctlScope.NetNamespace)]
    [InlineData("net.ipv4.conf.eth0/100.rp_filter", SysctlScope.NetNamespace)]
    [InlineData("net.ipv4.neigh.eth0.gc_stale_time", SysctlScope.NetNamespace)]
    [InlineData("net.ipv4.vs.conntrack", SysctlScope.NetNamespace)]
    [InlineData("net.ipv4.vs.debug_level", SysctlScope.Host)]
    [InlineData("net.core.somaxconn", SysctlScope.NetNamespace)]
    [InlineData("net.netfilter.nf_conntrack_tcp_timeout_established", SysctlScope.NetNamespace)]
    public void Scope_of_a_key(string name, SysctlScope scope)
    {
        Assert.Equal(scope, SysctlName.Parse(name).Scope);
        Assert.Equal(scope, new SysctlEntry(SysctlName.Parse(name).Dotted, "1", null).Scope);
    }

    [Fact]
    public void The_current_namespace_may_write_host_wide_keys_a_named_one_may_not()
    {
        new SysctlStore().CheckScope(SysctlName.Parse("kernel.printk_ratelimit"));
        var e = Assert.Throws<LvsException>(() => new SysctlStore(NetNamespace.Current, "/nonexistent").Set(SysctlName.Parse("kernel.printk_ratelimit"), "7"));
        Assert.Equal("SysctlNotFound", e.ErrorId); // got past the scope check, to the (missing) file
    }

    [Fact]
    public void Messages_quote_long_values_shortened()
    {
        Assert.Equal("'abc'", SysctlStore.Shorten("abc"));
        var s = SysctlStore.Shorten(new string('9', 5000));
        Assert.Equal("'" + new string('9', 64) + "… (5000 characters)'", s);
    }
}

/// <summary>The list of host-wide net.* keys against the running kernel: what a new namespace shows and lets be written.</summary>
[Trait("Category", "Kernel")]
public sealed class SysctlScopeKernelTests
{
    [SkippableFact]
    public void Keys_a_new_namespace_can_write_are_per_namespace_and_keys_it_only_shows_are_host_wide()
    {
        Skip.If(TestNamespace.Unavailable is not null, TestNamespace.Unavailable);
        using var ns = new TestNamespace(veth: false);
        var listing = ns.Exec("sh", "-c", "cd /proc/sys/net && find . -type f -exec stat -c '%a %n' {} +");
        var wrong = new List<string>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var mode = Convert.ToInt32(line[..3], 8);
            var name = SysctlName.Parse("net/" + line[6..]);
            bool writableInside = (mode & 0x80) != 0;
            bool writableOnHost = !OperatingSystem.IsWindows() && File.Exists(name.Path) && (File.GetUnixFileMode(name.Path) & UnixFileMode.UserWrite) != 0;
            if (writableInside && name.Scope != SysctlScope.NetNamespace)
                wrong.Add($"{name.Dotted}: writable in a new namespace, listed host-wide");
            if (!writableInside && writableOnHost && name.Scope != SysctlScope.Host)
                wrong.Add($"{name.Dotted}: read-only in a new namespace but writable on the host, not listed host-wide");
        }
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }
}
