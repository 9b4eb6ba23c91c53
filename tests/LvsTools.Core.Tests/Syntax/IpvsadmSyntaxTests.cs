using System.Net;
using CsCheck;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Tests.Property;

namespace LvsTools.Core.Tests.Syntax;

/// <summary>
/// The one parser and formatter of each ipvsadm text concept: what is formatted parses back to itself, and each caller's
/// difference (Create against Kernel level, a default port) is a parameter of the same parser.
/// </summary>
public class IpvsadmSyntaxTests
{
    private static void Holds<T>(string name, Gen<T> gen, Action<T> property)
    {
        var result = FuzzHarness.Run(FuzzTarget.Property(name, gen, property), stream: (uint)name.GetHashCode(StringComparison.Ordinal) & 0xffff,
            FuzzHarness.Count(1000));
        Assert.True(result.Failure is null, $"{name}: {result.Failure}");
    }

    private static string IdOf(Action a) => Assert.ThrowsAny<LvsException>(a).ErrorId;

    // ---- netmasks ----

    [Fact]
    public void Every_prefix_length_formats_and_parses_back_at_both_levels()
    {
        for (int p = 0; p <= 32; p++)
        {
            uint mask = IpvsadmSyntax.NetmaskFromPrefix(IPFamily.IPv4, p);
            string text = IpvsadmSyntax.FormatNetmask(IPFamily.IPv4, mask);
            Assert.Equal(mask, IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, text, ValidationLevel.Create));
            Assert.Equal(mask, IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, text, ValidationLevel.Kernel));
            Assert.Equal(mask, IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, p.ToString()));
            Assert.Equal(mask, IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, "/" + p));
            Assert.Equal(p, IpvsadmSyntax.PrefixLengthOf(IPFamily.IPv4, mask));
        }
        for (int p = 1; p <= 128; p++)
        {
            uint value = IpvsadmSyntax.NetmaskFromPrefix(IPFamily.IPv6, p);
            Assert.Equal(value, IpvsadmSyntax.ParseNetmask(IPFamily.IPv6, IpvsadmSyntax.FormatNetmask(IPFamily.IPv6, value)));
            Assert.Equal(p, IpvsadmSyntax.PrefixLengthOf(IPFamily.IPv6, value));
        }
    }

    [Fact]
    public void Any_IPv4_mask_round_trips_at_the_kernel_level_and_only_contiguous_ones_at_the_create_level()
    {
        Holds("netmask-v4", Gen.UInt, mask =>
        {
            string text = IpvsadmSyntax.FormatNetmask(IPFamily.IPv4, mask);
            Assert.Equal(mask, IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, text, ValidationLevel.Kernel));
            if (IpvsadmSyntax.PrefixLengthOf(IPFamily.IPv4, mask) >= 0)
                Assert.Equal(mask, IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, text, ValidationLevel.Create));
            else
                Assert.Equal("InvalidNetmask", IdOf(() => IpvsadmSyntax.ParseNetmask(IPFamily.IPv4, text, ValidationLevel.Create)));
        });
    }

    [Theory]
    [InlineData(IPFamily.IPv4, "33")]
    [InlineData(IPFamily.IPv4, "99999999999")]
    [InlineData(IPFamily.IPv4, "abc")]
    [InlineData(IPFamily.IPv4, "255.255.255")]
    [InlineData(IPFamily.IPv4, "ffff::")]
    [InlineData(IPFamily.IPv4, "")]
    [InlineData(IPFamily.IPv6, "0")]
    [InlineData(IPFamily.IPv6, "129")]
    [InlineData(IPFamily.IPv6, "255.255.255.0")]
    public void A_netmask_that_is_none_is_InvalidNetmask_at_both_levels(IPFamily family, string text)
    {
        Assert.Equal("InvalidNetmask", IdOf(() => IpvsadmSyntax.ParseNetmask(family, text, ValidationLevel.Create)));
        Assert.Equal("InvalidNetmask", IdOf(() => IpvsadmSyntax.ParseNetmask(family, text, ValidationLevel.Kernel)));
    }

    // ---- endpoints ----

    [Fact]
    public void Every_endpoint_formats_and_parses_back()
    {
        var gen = Gen.Select(Gen.OneOf(IPFamily.IPv4, IPFamily.IPv6).SelectMany(ValidModels.Address), Gen.UShort);
        Holds("endpoint", gen, t =>
        {
            var (address, port) = t;
            string text = IpvsadmSyntax.FormatEndpoint(address, port);
            Assert.Equal((address, (ushort?)port), IpvsadmSyntax.ParseEndpoint(text));
            Assert.Equal((address, port), IpvsadmSyntax.ParseEndpoint(text, 9));
            Assert.Equal((address, (ushort)9), IpvsadmSyntax.ParseEndpoint(address.ToString(), 9));
        });
    }

    [Theory]
    [InlineData("10.0.0.1:80", "10.0.0.1", 80)]
    [InlineData(" 10.0.0.1:8080 ", "10.0.0.1", 8080)]
    [InlineData("10.0.0.1", "10.0.0.1", null)]
    [InlineData("[2001:db8::1]:80", "2001:db8::1", 80)]
    [InlineData("[2001:db8::1]", "2001:db8::1", null)]
    [InlineData("2001:db8::1", "2001:db8::1", null)]
    [InlineData("::", "::", null)]
    public void Endpoints_read_as_ipvsadm_writes_them(string text, string address, int? port)
    {
        var (a, p) = IpvsadmSyntax.ParseEndpoint(text);
        Assert.Equal(IPAddress.Parse(address), a);
        Assert.Equal(port, p);
    }

    [Theory]
    [InlineData("10.0.0.1:65536", "InvalidPort")]
    [InlineData("10.0.0.1:0x50", "InvalidPort")]
    [InlineData("10.0.0.1:", "InvalidPort")]
    [InlineData("[::1]:", "InvalidPort")]
    [InlineData("10.0.0.1:80:81", "InvalidIPAddress")]
    [InlineData("www.example.com:80", "InvalidIPAddress")]
    [InlineData("010.0.0.1:80", "InvalidIPAddress")]
    [InlineData("[::1", "InvalidIPAddress")]
    [InlineData("[::1]80", "InvalidIPAddress")]
    [InlineData(":80", "InvalidIPAddress")]
    public void A_bad_endpoint_names_the_whole_text(string text, string id)
    {
        var e = Assert.ThrowsAny<LvsException>(() => IpvsadmSyntax.ParseEndpoint(text));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(text, e.Target);
    }

    // ---- scheduler flags ----

    [Theory]
    [InlineData("sh")]
    [InlineData("mh")]
    [InlineData("rr")]
    [InlineData("ovf")]
    public void Every_flag_combination_names_and_parses_back_for_its_scheduler(string scheduler)
    {
        for (uint bits = 0; bits < 8; bits++)
        {
            var flags = (ServiceFlags)(bits << 3);
            var names = IpvsadmSyntax.FormatSchedulerFlags(scheduler, flags | ServiceFlags.Persistent | ServiceFlags.Hashed);
            Assert.Equal(flags, IpvsadmSyntax.ParseSchedulerFlags(names, scheduler));
            Assert.Equal(flags, IpvsadmSyntax.ParseSchedulerFlags(names.Select(n => " " + n.ToUpperInvariant())));
        }
    }

    [Fact]
    public void Flag_names_follow_the_scheduler_and_keep_flag_3()
    {
        var all = ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3;
        Assert.Equal(["sh-fallback", "sh-port", "flag-3"], IpvsadmSyntax.FormatSchedulerFlags("sh", all));
        Assert.Equal(["mh-fallback", "mh-port", "flag-3"], IpvsadmSyntax.FormatSchedulerFlags("mh", all));
        Assert.Equal(["flag-1", "flag-2", "flag-3"], IpvsadmSyntax.FormatSchedulerFlags("wrr", all));
        Assert.Empty(IpvsadmSyntax.FormatSchedulerFlags("sh", ServiceFlags.Persistent | ServiceFlags.OnePacket));
    }

    [Theory]
    [InlineData("rr", "sh-port")]
    [InlineData("sh", "mh-fallback")]
    [InlineData("sh", "sh-sticky")]
    [InlineData("ovf", "flag-4")]
    [InlineData("sh", "")]
    public void A_flag_that_is_unknown_or_belongs_to_another_scheduler_is_InvalidSchedulerFlag(string scheduler, string name)
    {
        var e = Assert.ThrowsAny<LvsException>(() => IpvsadmSyntax.ParseSchedulerFlags([name], scheduler));
        Assert.Equal("InvalidSchedulerFlag", e.ErrorId);
        Assert.Equal(name, e.Target);
    }

    [Fact]
    public void Without_a_scheduler_any_known_name_is_taken()
    {
        Assert.Equal(ServiceFlags.Sched1 | ServiceFlags.Sched2, IpvsadmSyntax.ParseSchedulerFlags(["sh-fallback", "mh-port"]));
        Assert.Equal(ServiceFlags.None, IpvsadmSyntax.ParseSchedulerFlags(null));
    }

    // ---- services and real servers ----

    [Fact]
    public void A_service_rule_reads_back_as_the_same_service()
    {
        Holds("service-rule", ValidModels.Service(ValidModels.Range.Rules), s =>
        {
            var line = IpvsadmSyntax.ServiceRule("-A", s);
            var back = IpvsadmRules.Parse([line]).Services![0].ToService();
            Assert.Equal(RoundTripTests.View(s), RoundTripTests.View(back));
        });
    }

    [Fact]
    public void Real_server_rules_read_back_as_the_same_real_servers()
    {
        Holds("real-server-rule", ValidModels.ServiceWithRealServers(ValidModels.Range.Rules), t =>
        {
            var lines = t.RealServers.Select(r => IpvsadmSyntax.RealServerRule("-a", r)).Prepend(IpvsadmSyntax.ServiceRule("-A", t.Service));
            var back = IpvsadmRules.Parse(lines).Services![0].RealServers!.Select(e => e.ToRealServer(t.Service.Key));
            Assert.Equal(t.RealServers.Select(RoundTripTests.View).OrderBy(v => v.ToString()),
                back.Select(RoundTripTests.View).OrderBy(v => v.ToString()));
        });
    }

    private static LvsService Tcp(string scheduler = "wlc") =>
        ServiceSettings.New(ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80), scheduler, null, false, null, null, null, false);

    [Fact]
    public void Services_print_as_ipvsadm_S_and_Ln_do()
    {
        var sh = ServiceSettings.New(ServiceKey.ForAddress(IpvsProtocol.Udp, IPAddress.Parse("10.0.0.14"), 5060), "sh", ["sh-port", "sh-fallback"],
            true, TimeSpan.FromSeconds(120), "255.255.255.0", "sip", false);
        Assert.Equal("-A -u 10.0.0.14:5060 -s sh -p 120 -M 255.255.255.0 --pe sip -b sh-fallback,sh-port", IpvsadmSyntax.ServiceRule("-A", sh));
        Assert.Equal("UDP  10.0.0.14:5060 sh (sh-fallback,sh-port) persistent 120 mask 255.255.255.0 pe sip", sh.ToString());
        Assert.Equal("(sh-fallback,sh-port) persistent 120 mask 255.255.255.0 pe sip", IpvsadmSyntax.ListingFlags(sh));
        Assert.Equal("-A -t 10.0.0.1:80 -s wlc", IpvsadmSyntax.ServiceRule("-A", Tcp()));
        Assert.Equal("TCP  10.0.0.1:80 wlc", Tcp().ToString());
        var fwm6 = ServiceSettings.New(ServiceKey.ForFirewallMark(7, IPFamily.IPv6), "rr", null, true, null, "64", null, true);
        Assert.Equal("-A -f 7 -6 -s rr -p 300 -M 64 -o", IpvsadmSyntax.ServiceRule("-A", fwm6));
        Assert.Equal("FWM  7 IPv6 rr persistent 300 mask 64 ops", fwm6.ToString());
    }

    [Fact]
    public void Real_servers_print_as_ipvsadm_S_and_Ln_do()
    {
        var key = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
        var gue = new LvsRealServer
        {
            Service = key, Address = IPAddress.Parse("2001:db8::5"), Port = 80, ForwardingMethod = ForwardingMethod.Tunnel, Weight = 3,
            UpperThreshold = 10, TunnelType = TunnelType.Gue, TunnelPort = 6080, TunnelChecksum = TunnelChecksum.RemoteChecksum,
        };
        Assert.Equal("-a -t 10.0.0.1:80 -r [2001:db8::5]:80 -i -w 3 -x 10 --tun-type gue --tun-port 6080 --tun-remcsum",
            IpvsadmSyntax.RealServerRule("-a", gue));
        Assert.Equal("  -> [2001:db8::5]:80             Tunnel  3      0          0", gue.ToString());
        var masq = new LvsRealServer { Service = key, Address = IPAddress.Parse("10.0.1.11"), Port = 8080, ForwardingMethod = ForwardingMethod.Masquerade };
        Assert.Equal(" -m -w 1", IpvsadmSyntax.RealServerOptions(masq));
    }

    [Theory]
    [InlineData(TunnelType.IpIp)]
    [InlineData(TunnelType.Gue)]
    [InlineData(TunnelType.Gre)]
    public void Tunnel_types_format_and_parse_back(TunnelType type)
    {
        string name = IpvsadmSyntax.TunnelTypeName(type);
        Assert.Equal(type, IpvsadmSyntax.ParseTunnelType(name));
        Assert.Equal(type, IpvsadmSyntax.ParseTunnelType(name.ToUpperInvariant(), ignoreCase: true));
        Assert.Equal("InvalidTunnelType", IdOf(() => IpvsadmSyntax.ParseTunnelType(name.ToUpperInvariant())));
        Assert.Equal("InvalidTunnelType", IdOf(() => IpvsadmSyntax.ParseTunnelType(null)));
    }

    [Fact]
    public void Timeouts_and_daemons_print_as_ipvsadm_does()
    {
        var t = new LvsTimeouts { Tcp = TimeSpan.FromSeconds(900), TcpFin = TimeSpan.FromSeconds(120), Udp = TimeSpan.FromSeconds(300) };
        Assert.Equal("Timeout (tcp tcpfin udp): 900 120 300", t.ToString());
        var d = new LvsSyncDaemon { State = SyncDaemonState.Backup, MulticastInterface = "eth0", SyncId = 5, MulticastPort = 8848 };
        Assert.Equal("backup sync daemon (mcast=eth0, syncid=5, port=8848)", d.ToString());
        Assert.Equal(" --mcast-interface eth0 --syncid 5 --mcast-port 8848", IpvsadmSyntax.DaemonOptions(d));
        Assert.Equal("IP Virtual Server version 1.2.1 (size=4096)", new LvsInfo { Version = new Version(1, 2, 1), ConnectionTableSize = 4096 }.ToString());
    }

    // ---- settings ----

    [Fact]
    public void A_change_is_the_service_with_what_changes()
    {
        var sh = ServiceSettings.New(Tcp().Key, "sh", ["sh-port"], false, null, null, null, false) with { Flags = ServiceFlags.Sched2 | ServiceFlags.Hashed };
        var rr = ServiceSettings.Change(sh, scheduler: "rr");
        Assert.Equal(ServiceFlags.None, rr.Flags);                          // a new scheduler starts without the old one's flags
        Assert.Equal(sh.Key, rr.Key);
        var persistent = ServiceSettings.Change(Tcp(), timeout: TimeSpan.FromSeconds(60));
        Assert.True(persistent.Persistent);                                 // a timeout alone turns persistence on
        Assert.Equal(TimeSpan.FromSeconds(60), persistent.PersistenceTimeout);
        var on = ServiceSettings.Change(Tcp(), persistent: true);
        Assert.Equal(LvsService.DefaultPersistenceTimeout, on.PersistenceTimeout);
        var engine = ServiceSettings.Change(on with { PersistenceEngine = "sip" }, engine: "");
        Assert.Null(engine.PersistenceEngine);
        Assert.Equal("InvalidNetmask", IdOf(() => ServiceSettings.Change(on, netmask: "255.0.255.0")));   // Create level
        Assert.Equal("InvalidSchedulerFlag", IdOf(() => ServiceSettings.Change(rr, schedulerFlags: ["sh-port"])));
    }

    [Fact]
    public void A_new_service_reads_its_netmask_at_the_level_given()
    {
        var key = Tcp().Key;
        Assert.Equal("InvalidNetmask", IdOf(() => ServiceSettings.New(key, "rr", null, true, null, "255.0.255.0", null, false)));
        var kept = ServiceSettings.New(key, "rr", null, true, null, "255.0.255.0", null, false, ValidationLevel.Kernel);
        Assert.Equal(0xFF00FF00u, kept.PersistenceNetmask);
        Assert.Equal(-1, kept.PersistencePrefixLength);
    }
}
