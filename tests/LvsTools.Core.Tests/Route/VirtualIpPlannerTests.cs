using System.Net;
using LvsTools.Core.Route;

namespace LvsTools.Core.Tests.Route;

public class VirtualIpPlannerTests
{
    private static VirtualIpSpec Spec(string address, int? prefix = null, string? mask = null) =>
        new() { InterfaceName = "eth0", Address = address, PrefixLength = prefix, SubnetMask = mask };

    [Theory]
    [InlineData("192.168.31.173", null, "255.255.255.0", 24)]
    [InlineData("192.168.31.173/24", null, null, 24)]
    [InlineData("10.0.0.100", 32, null, 32)]
    [InlineData("10.0.0.100", null, null, 32)]
    [InlineData("2001:db8::1", null, null, 128)]
    [InlineData("2001:db8::1/64", 64, null, 64)]
    [InlineData("10.0.0.1", null, "255.255.255.255", 32)]
    [InlineData("10.0.0.1", null, "0.0.0.0", 0)]
    public void Prefix_comes_from_cidr_prefix_or_mask(string address, int? prefix, string? mask, int expected) =>
        Assert.Equal(expected, VirtualIpPlanner.ParseAddress(Spec(address, prefix, mask)).Prefix);

    [Theory]
    [InlineData("999.1.1.1", null, null, "InvalidIPAddress")]
    [InlineData("10.1", null, null, "InvalidIPAddress")]
    [InlineData("10.0.0.256", null, null, "InvalidIPAddress")]
    [InlineData("banana", null, null, "InvalidIPAddress")]
    [InlineData("fe80::1%eth0", null, null, "InvalidIPAddress")]
    [InlineData("224.0.0.1", null, null, "InvalidIPAddress")]
    [InlineData("0.0.0.0", null, null, "InvalidIPAddress")]
    [InlineData("10.0.0.1", 33, null, "InvalidPrefixLength")]
    [InlineData("10.0.0.1/33", null, null, "InvalidPrefixLength")]
    [InlineData("10.0.0.1", -1, null, "InvalidPrefixLength")]
    [InlineData("2001:db8::1", 129, null, "InvalidPrefixLength")]
    [InlineData("10.0.0.1/24", 16, null, "ConflictingPrefixLength")]
    [InlineData("10.0.0.1", null, "255.0.255.0", "InvalidSubnetMask")]
    [InlineData("10.0.0.1", null, "255.255.255.256", "InvalidSubnetMask")]
    [InlineData("2001:db8::1", null, "255.255.255.0", "InvalidSubnetMask")]
    public void Bad_input_is_rejected_with_a_stable_id(string address, int? prefix, string? mask, string id)
    {
        var e = Assert.Throws<LvsException>(() => VirtualIpPlanner.ParseAddress(Spec(address, prefix, mask)));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.NotNull(e.Target);
    }

    [Theory]
    [InlineData("eth0:1")]
    [InlineData("eth0")]
    [InlineData("eth0:vip")]
    public void Good_labels(string label) => VirtualIpPlanner.ValidateLabel(label, "eth0", IPAddress.Parse("10.0.0.1"));

    [Theory]
    [InlineData("eth1:1")]          // another device
    [InlineData("eth0:")]           // no suffix
    [InlineData("eth0:1234567890a")] // 16 characters
    [InlineData("eth0x1")]
    [InlineData("eth0:a b")]
    public void Bad_labels(string label)
    {
        var e = Assert.Throws<LvsException>(() => VirtualIpPlanner.ValidateLabel(label, "eth0", IPAddress.Parse("10.0.0.1")));
        Assert.Equal("InvalidLabel", e.ErrorId);
    }

    [Fact]
    public void Labels_are_ipv4_only() =>
        Assert.Equal("InvalidLabel", Assert.Throws<LvsException>(() => VirtualIpPlanner.ValidateLabel("eth0:1", "eth0", IPAddress.Parse("2001:db8::1"))).ErrorId);

    [Fact]
    public void Next_free_label_fills_the_lowest_gap()
    {
        Assert.Equal("eth0:1", VirtualIpPlanner.NextFreeLabel("eth0", ["eth0", null]));
        Assert.Equal("eth0:3", VirtualIpPlanner.NextFreeLabel("eth0", ["eth0:1", "eth0:2", "eth0:web", "eth1:3"]));
        Assert.Equal("eth0:2", VirtualIpPlanner.NextFreeLabel("eth0", ["eth0:1", "eth0:3"]));
        Assert.Equal("InvalidLabel", Assert.Throws<LvsException>(() => VirtualIpPlanner.NextFreeLabel("abcdefghijklmn", [])).ErrorId);
    }

    [Theory]
    [InlineData("192.168.31.173", 24, "192.168.31.255")]
    [InlineData("10.9.8.7", 20, "10.9.15.255")]
    [InlineData("10.0.0.1", 31, null)]
    [InlineData("10.0.0.1", 32, null)]
    [InlineData("10.0.0.1", 0, "255.255.255.255")]
    public void Broadcast_as_brd_plus(string address, int prefix, string? expected) =>
        Assert.Equal(expected, IPNetworkMath.Broadcast(IPAddress.Parse(address), prefix)?.ToString());

    [Fact]
    public void Delete_request_describes_itself_like_ip()
    {
        var alias = new NetAlias { InterfaceName = "eth0", InterfaceIndex = 2, IPAddress = IPAddress.Parse("10.0.0.5"), PrefixLength = 24, Label = "eth0:1" };
        Assert.Equal("ip addr del 10.0.0.5/24 dev eth0 label eth0:1", VirtualIpPlanner.ForDelete(alias).Describe("del"));
    }
}
