using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Tests.Sysctl;

public class SysctlNameTests
{
    [Theory]
    [InlineData("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward")]
    [InlineData("net/ipv4/ip_forward", "/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward")]
    [InlineData("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward")]
    [InlineData("net.ipv4.conf.eth0/100.rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter")]
    [InlineData("net/ipv4/conf/eth0.100/rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter")]
    [InlineData(" net.ipv4.vs.conntrack ", "/proc/sys/net/ipv4/vs/conntrack", "net.ipv4.vs.conntrack")]
    public void Dotted_and_slashed_forms_name_the_same_file(string input, string path, string dotted)
    {
        var n = SysctlName.Parse(input);
        Assert.Equal(path, n.Path);
        Assert.Equal(dotted, n.Dotted);
    }

    [Theory]
    [InlineData("net.ipv4..ip_forward")]
    [InlineData("net/ipv4/../../../etc/shadow")]
    [InlineData("../etc/passwd")]
    [InlineData("net/ipv4/./ip_forward")]
    [InlineData("net.ipv4.ip_forward.")]
    [InlineData("/etc/passwd")]
    [InlineData("net/ipv4//ip_forward")]
    [InlineData("net.ipv4.ip forward")]
    [InlineData("net.ipv4.ip_forward\0")]
    [InlineData("")]
    [InlineData("net.ipv4.*")]
    [InlineData("net\\ipv4")]
    public void Names_that_could_escape_or_are_malformed_are_rejected(string input)
    {
        var e = Assert.Throws<LvsException>(() => SysctlName.Parse(input));
        Assert.Equal("InvalidSysctlName", e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(input, e.Target);
    }

    [Fact]
    public void Absolute_paths_outside_proc_sys_are_taken_as_names_and_rejected_or_confined()
    {
        // "/etc/passwd" is rejected above; a slashed relative name can only ever resolve under /proc/sys.
        var n = SysctlName.Parse("etc/passwd");
        Assert.StartsWith("/proc/sys/", n.Path);
    }

    [Fact]
    public void Wildcards_only_where_allowed()
    {
        Assert.True(SysctlName.Parse("net.ipv4.conf.*.arp_ignore", allowWildcards: true).HasWildcards);
        Assert.Throws<LvsException>(() => SysctlName.Parse("net.ipv4.conf.*.arp_ignore"));
    }

    [Fact]
    public void Persistence_updates_a_key_in_place_and_keeps_the_rest()
    {
        var dir = Directory.CreateTempSubdirectory("lvst-sysctl");
        try
        {
            var file = Path.Combine(dir.FullName, "90-test.conf");
            File.WriteAllText(file, "# mine\nnet.ipv4.ip_forward = 0\nvm.swappiness=10\n");
            SysctlPersistence.Save(file, [(SysctlName.Parse("net/ipv4/ip_forward"), "1"), (SysctlName.Parse("net.ipv4.vs.conntrack"), "1")]);
            Assert.Equal("# mine\nnet.ipv4.ip_forward = 1\nvm.swappiness=10\nnet.ipv4.vs.conntrack = 1\n", File.ReadAllText(file));
            Assert.Equal("1", SysctlPersistence.Lookup(file, SysctlName.Parse("net.ipv4.vs.conntrack")));
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left behind
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
