using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// The two validation levels: what a foreign tool (keepalived, moby/ipvs, a raw netlink client) can write and the
/// kernel keeps passes Kernel level and fails Create level with the Create id; what the kernel refuses fails both.
/// The kernel facts behind each case are measured in IpvsValidationKernelTests (UML).
/// </summary>
public sealed class IpvsValidationLevelTests
{
    private static readonly ServiceKey Tcp80 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    private static LvsService Svc(string address = "10.0.0.1", ushort port = 80, ServiceFlags flags = ServiceFlags.None, TimeSpan timeout = default,
        string scheduler = "rr", IpvsProtocol protocol = IpvsProtocol.Tcp, string? engine = null) => new()
    {
        AddressFamily = IPAddress.Parse(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPFamily.IPv6 : IPFamily.IPv4,
        Protocol = protocol, Address = IPAddress.Parse(address), Port = port, Scheduler = scheduler, Flags = flags, PersistenceTimeout = timeout,
        PersistenceNetmask = address.Contains(':') ? 128u : uint.MaxValue, PersistenceEngine = engine,
    };

    private static LvsRealServer Rs(string address = "10.0.1.1", ushort port = 80, ForwardingMethod fwd = ForwardingMethod.Route, int weight = 1,
        uint upper = 0, uint lower = 0, TunnelType? type = null, ushort? tunPort = null, TunnelChecksum? csum = null) => new()
    {
        Service = Tcp80, Address = IPAddress.Parse(address), Port = port, ForwardingMethod = fwd, Weight = weight,
        UpperThreshold = upper, LowerThreshold = lower, TunnelType = type, TunnelPort = tunPort, TunnelChecksum = csum,
    };

    private static void Refused(string id, Action check)
    {
        var e = Assert.Throws<LvsException>(check);
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.NotNull(e.Target);
    }

    public static TheoryData<string, string> ForeignServices => new()
    {
        { "persistence timeout 40 days", "InvalidPersistenceTimeout" },
        { "persistent with timeout 0", "InvalidPersistenceTimeout" },
        { "port 0 without persistence", "InvalidPort" },
        { "one-packet on TCP", "InvalidOnePacket" },
        { "service on 255.255.255.255", "InvalidServiceAddress" },
        { "service on 224.0.0.1", "InvalidServiceAddress" },
        { "service on 0.0.0.0", "InvalidServiceAddress" },
        { "service on ::", "InvalidServiceAddress" },
        { "service on ff02::1", "InvalidServiceAddress" },
        { "service on ::ffff:10.0.0.1", "InvalidServiceAddress" },
        { "service on 240.0.0.1", "InvalidServiceAddress" },
        { "scheduler twos-like unknown name", "InvalidScheduler" },
    };

    private static LvsService Foreign(string name) => name switch
    {
        "persistence timeout 40 days" => Svc(flags: ServiceFlags.Persistent, timeout: TimeSpan.FromDays(40)),
        "persistent with timeout 0" => Svc(flags: ServiceFlags.Persistent),
        "port 0 without persistence" => Svc(port: 0),
        "one-packet on TCP" => Svc(flags: ServiceFlags.OnePacket),
        "scheduler twos-like unknown name" => Svc(scheduler: "newsched"),
        _ when name.StartsWith("service on ") => Svc(name["service on ".Length..]),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ForeignServices))]
    public void A_foreign_service_passes_Kernel_level_and_fails_Create_level(string name, string createId)
    {
        var svc = Foreign(name);
        IpvsValidation.Service(svc, ValidationLevel.Kernel);
        (IpvsOperation.AddService(svc) with { Validation = ValidationLevel.Kernel }).Validate();
        Refused(createId, () => IpvsValidation.Service(svc));
        Refused(createId, () => IpvsOperation.AddService(svc).Validate());
    }

    [Fact]
    public void What_the_kernel_refuses_in_a_service_fails_both_levels()
    {
        foreach (var level in new[] { ValidationLevel.Create, ValidationLevel.Kernel })
        {
            Refused("InvalidNetmask", () => IpvsValidation.Service(new LvsService
            {
                AddressFamily = IPFamily.IPv6, Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("2001:db8::1"), Port = 80, Scheduler = "rr", PersistenceNetmask = 129,
            }, level));
            Refused("InvalidFirewallMark", () => IpvsValidation.Service(new LvsService { FirewallMark = 0 }, level));
            Refused("InvalidScheduler", () => IpvsValidation.Service(Svc(scheduler: "abcdefghijklmnop"), level));
            Refused("InvalidPersistenceTimeout", () => IpvsValidation.Service(Svc(flags: ServiceFlags.Persistent, timeout: TimeSpan.FromMilliseconds(1500)), level));
            Refused("InvalidPersistenceTimeout", () => IpvsValidation.Service(Svc(flags: ServiceFlags.Persistent, timeout: TimeSpan.FromSeconds(uint.MaxValue + 1L)), level));
        }
        IpvsValidation.Service(Svc(flags: ServiceFlags.Persistent, timeout: TimeSpan.FromSeconds(uint.MaxValue)), ValidationLevel.Kernel);
        IpvsValidation.Service(Svc(flags: ServiceFlags.Sched1), ValidationLevel.Create); // ipvsadm -b flag-1 on rr: legal for both
    }

    [Fact]
    public void A_foreign_real_server_passes_Kernel_level_and_fails_Create_level()
    {
        var cases = new (LvsRealServer Server, string CreateId)[]
        {
            (Rs(port: 8080), "InvalidPort"),
            (Rs(port: 8080, fwd: ForwardingMethod.Tunnel), "InvalidPort"),
            (Rs(port: 0, fwd: ForwardingMethod.Masquerade), "InvalidPort"),
            (Rs(weight: 100000), "InvalidWeight"),
            (Rs(weight: int.MaxValue), "InvalidWeight"),
            (Rs(upper: 3_000_000_000), "InvalidThreshold"),
            (Rs(upper: uint.MaxValue, lower: uint.MaxValue), "InvalidThreshold"),
            (Rs(fwd: ForwardingMethod.Local), "InvalidForwardingMethod"),
            (Rs(fwd: ForwardingMethod.Bypass), "InvalidForwardingMethod"),
            (Rs("240.0.0.2"), "InvalidRealServerAddress"),
            (Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.IpIp, tunPort: 5000), "InvalidTunnelOption"),
            (Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.IpIp, csum: TunnelChecksum.Checksum), "InvalidTunnelOption"),
            (Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.Gre, csum: TunnelChecksum.RemoteChecksum), "InvalidTunnelOption"),
        };
        foreach (var (server, id) in cases)
        {
            IpvsValidation.RealServer(server, ValidationLevel.Kernel);
            (IpvsOperation.AddRealServer(server) with { Validation = ValidationLevel.Kernel }).Validate();
            (IpvsOperation.EditRealServer(server) with { Validation = ValidationLevel.Kernel }).Validate();
            Refused(id, () => IpvsValidation.RealServer(server));
            Refused(id, () => IpvsOperation.EditRealServer(server).Validate());
        }
    }

    [Fact]
    public void What_the_kernel_refuses_in_a_real_server_fails_both_levels()
    {
        var cases = new (LvsRealServer Server, string Id)[]
        {
            (Rs(weight: -1), "InvalidWeight"),
            (Rs(upper: 5, lower: 6), "InvalidThreshold"),
            (Rs(lower: 1), "InvalidThreshold"),
            (Rs("0.0.0.0"), "InvalidRealServerAddress"),
            (Rs("255.255.255.255"), "InvalidRealServerAddress"),
            (Rs("224.0.0.1"), "InvalidRealServerAddress"),
            (Rs("239.255.255.255"), "InvalidRealServerAddress"),
            (Rs("2001:db8::7"), "InvalidRealServerFamily"),
            (Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.Gue), "InvalidTunnelOption"),
            (Rs(fwd: (ForwardingMethod)5), "InvalidForwardingMethod"),
        };
        foreach (var (server, id) in cases)
        {
            Refused(id, () => IpvsValidation.RealServer(server, ValidationLevel.Kernel));
            Refused(id, () => IpvsValidation.RealServer(server));
        }
        var v6 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::1"), 80);
        foreach (var a in new[] { "::", "ff02::1", "::ffff:1.2.3.4" })
        {
            var server = new LvsRealServer { Service = v6, Address = IPAddress.Parse(a), Port = 80 };
            Refused("InvalidRealServerAddress", () => IpvsValidation.RealServer(server, ValidationLevel.Kernel));
        }
        IpvsValidation.RealServer(Rs("0.0.0.1"), ValidationLevel.Create); // the kernel takes it (measured)
        IpvsValidation.RealServer(Rs("127.0.0.2"), ValidationLevel.Create);
    }

    [Fact]
    public void Timeouts_Create_level_holds_on_every_HZ_and_Kernel_level_on_HZ_100()
    {
        IpvsValidation.Timeouts(new LvsTimeouts { Tcp = TimeSpan.FromSeconds(2147483) });
        Refused("InvalidTimeout", () => IpvsValidation.Timeouts(new LvsTimeouts { Tcp = TimeSpan.FromSeconds(2147484) }));
        Refused("InvalidTimeout", () => IpvsValidation.Timeouts(new LvsTimeouts { Udp = TimeSpan.FromDays(31) }));
        IpvsValidation.Timeouts(new LvsTimeouts { Udp = TimeSpan.FromDays(31) }, ValidationLevel.Kernel);
        IpvsValidation.Timeouts(new LvsTimeouts { Tcp = TimeSpan.FromSeconds(21474836) }, ValidationLevel.Kernel);
        Refused("InvalidTimeout", () => IpvsValidation.Timeouts(new LvsTimeouts { Tcp = TimeSpan.FromSeconds(21474837) }, ValidationLevel.Kernel));
        Refused("InvalidTimeout", () => IpvsValidation.Timeouts(new LvsTimeouts { Tcp = TimeSpan.FromSeconds(-1) }, ValidationLevel.Kernel));
    }

    [Fact]
    public void Sync_daemon_Create_level_refuses_what_the_kernel_would_change_or_clamp()
    {
        LvsSyncDaemon D(SyncDaemonState state = SyncDaemonState.Master, uint id = 1, ushort? len = null, string? group = null, ushort? port = null, byte? ttl = null) =>
            new() { State = state, MulticastInterface = "eth0", SyncId = id, SyncMaxLength = len, MulticastGroup = group is null ? null : IPAddress.Parse(group), MulticastPort = port, MulticastTtl = ttl };
        IpvsValidation.SyncDaemon(D(len: 65507));
        IpvsValidation.SyncDaemon(D(len: 1));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(len: 65508)));
        IpvsValidation.SyncDaemon(D(len: 65487, group: "ff02::123"));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(len: 65488, group: "ff02::123")));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(SyncDaemonState.Backup, len: 1023)));
        IpvsValidation.SyncDaemon(D(SyncDaemonState.Backup, len: 1024));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(port: 0)));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(ttl: 0)));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(id: 256)));
        foreach (var d in new[] { D(id: uint.MaxValue), D(len: 65535), D(len: 0), D(port: 0), D(ttl: 0), D(SyncDaemonState.Backup, len: 1) })
            IpvsValidation.SyncDaemon(d, ValidationLevel.Kernel);
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D(group: "10.0.0.1"), ValidationLevel.Kernel));
        Refused("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(D((SyncDaemonState)3), ValidationLevel.Kernel));
    }

    [Fact]
    public void An_edit_keeps_foreign_values_and_holds_only_the_change_to_Create_rules()
    {
        var foreign = Rs(port: 8080, weight: 100000, upper: 3_000_000_000);
        LvsRealServer Changed(int? weight = null, ForwardingMethod? fwd = null, uint? upper = null) => new()
        {
            Service = foreign.Service, Address = foreign.Address, Port = foreign.Port, ForwardingMethod = fwd ?? foreign.ForwardingMethod,
            Weight = weight ?? foreign.Weight, UpperThreshold = upper ?? foreign.UpperThreshold,
        };
        IpvsValidation.RealServerChange(foreign, Changed(weight: 0)); // drain: the port and threshold stay as they are
        IpvsValidation.RealServerChange(foreign, Changed(fwd: ForwardingMethod.Masquerade));
        Refused("InvalidWeight", () => IpvsValidation.RealServerChange(foreign, Changed(weight: 70000)));
        Refused("InvalidPort", () => IpvsValidation.RealServerChange(Changed(fwd: ForwardingMethod.Masquerade), Changed(fwd: ForwardingMethod.Route)));
        Refused("InvalidForwardingMethod", () => IpvsValidation.RealServerChange(foreign, Changed(fwd: ForwardingMethod.Local)));
        Refused("InvalidThreshold", () => IpvsValidation.RealServerChange(foreign, Changed(upper: 3_000_000_001)));

        var svc = Svc(flags: ServiceFlags.Persistent | ServiceFlags.OnePacket, timeout: TimeSpan.FromDays(40));
        IpvsValidation.ServiceChange(svc, Svc(flags: ServiceFlags.Persistent | ServiceFlags.OnePacket, timeout: TimeSpan.FromDays(40), scheduler: "wrr"));
        Refused("InvalidScheduler", () => IpvsValidation.ServiceChange(svc, Svc(flags: ServiceFlags.Persistent | ServiceFlags.OnePacket, timeout: TimeSpan.FromDays(40), scheduler: "newsched")));
        Refused("InvalidPersistenceTimeout", () => IpvsValidation.ServiceChange(svc, Svc(flags: ServiceFlags.Persistent | ServiceFlags.OnePacket, timeout: TimeSpan.FromDays(41))));
        Refused("InvalidOnePacket", () => IpvsValidation.ServiceChange(Svc(), Svc(flags: ServiceFlags.OnePacket)));
        Refused("InvalidPort", () => IpvsValidation.ServiceChange(Svc(port: 0, flags: ServiceFlags.Persistent, timeout: TimeSpan.FromSeconds(300)), Svc(port: 0)));
    }

    [Theory]
    [InlineData("010.0.0.1")]
    [InlineData("10.1")]
    [InlineData("10.0.1")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("167772161")]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0.01")]
    [InlineData("1.2.3.4.5")]
    [InlineData("10.0.0.1 ")]
    [InlineData("fe80::1%eth0")]
    [InlineData("::ffff:010.0.0.1")]
    [InlineData("")]
    public void Addresses_that_mislead_are_refused_with_the_expected_form(string text)
    {
        if (text == "10.0.0.1 ")
        {
            Assert.Equal(IPAddress.Parse("10.0.0.1"), IPNetworkMath.ParseAddress(text)); // surrounding space is trimmed
            return;
        }
        var e = Assert.Throws<LvsException>(() => IPNetworkMath.ParseAddress(text));
        Assert.Equal("InvalidIPAddress", e.ErrorId);
        Assert.Contains(text.Contains(':') ? "2001:db8::1" : "four decimal numbers 0-255 without leading zeros", e.Message);
    }

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("[2001:db8::1]", "2001:db8::1")]
    [InlineData("::ffff:192.0.2.1", "::ffff:192.0.2.1")]
    [InlineData("::", "::")]
    public void Normal_addresses_parse(string text, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), IPNetworkMath.ParseAddress(text));

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("239.1.2.3", true)]
    [InlineData("240.0.0.1", true)]
    [InlineData("::", true)]
    [InlineData("ff02::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("192.0.2.255", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("127.0.0.1", false)]
    public void One_rule_for_virtual_IPs_and_services(string address, bool refused)
    {
        var ip = IPAddress.Parse(address);
        Assert.Equal(refused, IPNetworkMath.NotUnicastReason(ip) is not null);
        var vip = Record.Exception(() => VirtualIpPlanner.ParseAddress(new VirtualIpSpec { Address = address, InterfaceName = "lo" }));
        var svc = Record.Exception(() => IpvsValidation.Service(Svc(address)));
        Assert.Equal(refused, vip is LvsException { ErrorId: "InvalidIPAddress" });
        Assert.Equal(refused, svc is LvsException { ErrorId: "InvalidServiceAddress" });
        IpvsValidation.Service(Svc(address), ValidationLevel.Kernel); // a foreign table may hold it
    }
}
