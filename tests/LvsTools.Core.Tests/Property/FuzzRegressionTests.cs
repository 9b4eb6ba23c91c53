using LvsTools.Core.Config;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Netlink;

namespace LvsTools.Core.Tests.Property;

/// <summary>The crashes the fuzzers found, each kept as the smallest input that showed it.</summary>
public class FuzzRegressionTests
{
    /// <summary>An NLMSG_ERROR carrying ext-ack TLVs, with the echoed request's length and the error as given.</summary>
    private static NetlinkException? Refusal(uint echoedLength, int error)
    {
        var connection = new NetlinkConnection(() => new FakeTransport((h, _) =>
        {
            var p = new byte[4 + 16];
            NativeEndian.Put(p, error);
            new NetlinkMessageHeader(echoedLength, h.Type, h.Flags, h.Sequence, h.PortId).Write(p.AsSpan(4));
            return [FakeTransport.Message(NetlinkMessageType.Error, NetlinkFlags.AckTlvs, h.Sequence, 4242, p)];
        }));
        var w = new NetlinkWriter();
        w.BeginMessage(0x20, NetlinkFlags.None).U32(1, 1).EndMessage();
        try
        {
            connection.Execute(w, "TEST");
            return null;
        }
        catch (NetlinkException e)
        {
            return e;
        }
    }

    [Theory]
    [InlineData(0xFFFF_FFF0u)] // was ArgumentOutOfRangeException: the (int) cast made the TLV offset negative
    [InlineData(4096u)]        // longer than what arrived
    [InlineData(3u)]           // shorter than a header
    public void An_error_reply_that_echoes_an_impossible_request_length_is_a_protocol_error(uint echoed)
    {
        Assert.Throws<NetlinkProtocolException>(() => Refusal(echoed, -Errno.EPERM));
    }

    [Fact]
    public void An_error_reply_that_echoes_the_request_whole_still_gives_the_errno()
    {
        Assert.Equal(Errno.EPERM, Refusal(16, -Errno.EPERM)!.Errno);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(int.MinValue)]
    public void An_error_reply_with_a_positive_or_unnegatable_error_is_a_protocol_error(int error)
    {
        Assert.Throws<NetlinkProtocolException>(() => Refusal(16, error));
    }

    [Theory]
    [InlineData("\"\ud800\"", null)] // was ArgumentException from System.Text.Json: an unpaired surrogate
    [InlineData("{\"schemaVersion\":1,\"services\":[null]}", "$.services[0]")] // was NullReferenceException
    [InlineData("{\"schemaVersion\":1,\"services\":[{\"protocol\":\"tcp\",\"address\":\"10.0.0.1\",\"port\":80,\"schedulerFlags\":[null]}]}", "$.services[0].schedulerFlags[0]")]
    [InlineData("{\"schemaVersion\":1,\"services\":[{\"protocol\":\"tcp\",\"address\":\"10.0.0.1\",\"port\":80,\"realServers\":[{\"address\":null}]}]}", "$.services[0].realServers[0].address")]
    [InlineData("{\"schemaVersion\":1,\"syncDaemons\":[{\"state\":null}]}", "$.syncDaemons[0].state")]
    [InlineData("{\"schemaVersion\":1,\"sysctls\":[null]}", "$.sysctls[0]")]
    public void A_document_with_bad_text_or_a_null_where_a_value_is_required_is_refused_by_path(string json, string? path)
    {
        var e = Assert.Throws<LvsException>(() => LvsConfigurationDocument.FromJson(json));
        Assert.Equal("InvalidConfigurationDocument", e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        if (path is not null)
        {
            Assert.Equal(path, e.Target);
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void A_document_may_still_leave_a_whole_list_out_or_null()
    {
        var doc = LvsConfigurationDocument.FromJson("{\"schemaVersion\":1,\"syncDaemons\":null,\"services\":[{\"protocol\":\"tcp\",\"address\":\"10.0.0.1\",\"port\":80,\"realServers\":null}]}");
        // null means "not managed" (the real servers of that service are left alone), not "none"
        Assert.Null(doc.Services![0].RealServers);
    }

    [Fact]
    public void Scheduler_flag_3_of_an_sh_service_survives_the_ipvsadm_rules()
    {
        // Found by the rules round trip: sh and mh wrote only their named flags and dropped flag-3.
        var s = new LvsService { Protocol = IpvsProtocol.Tcp, Address = System.Net.IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "sh", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched3 };
        var doc = LvsConfigurationDocument.From([s], [], null, null);
        var line = Assert.Single(IpvsadmRules.Format(doc));
        Assert.EndsWith("-b sh-fallback,flag-3", line);
        Assert.Equal(ServiceFlags.Sched1 | ServiceFlags.Sched3, IpvsadmRules.Parse([line]).Services![0].ToService().Flags);
    }
}
