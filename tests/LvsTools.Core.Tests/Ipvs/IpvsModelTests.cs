using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>The model without a kernel: keys, ipvsadm command lines, validation ids, netmasks, the connection table.</summary>
public class IpvsModelTests
{
    private static readonly ServiceKey Tcp80 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);

    [Fact]
    public void ServiceKey_prints_like_ipvsadm()
    {
        Assert.Equal("TCP  10.0.0.1:80", Tcp80.ToString());
        Assert.Equal("UDP  [2001:db8::1]:53", ServiceKey.ForAddress(IpvsProtocol.Udp, IPAddress.Parse("2001:db8::1"), 53).ToString());
        Assert.Equal("SCTP 10.0.0.2:3868", ServiceKey.ForAddress(IpvsProtocol.Sctp, IPAddress.Parse("10.0.0.2"), 3868).ToString());
        Assert.Equal("FWM  7", ServiceKey.ForFirewallMark(7).ToString());
        Assert.Equal("FWM  8 IPv6", ServiceKey.ForFirewallMark(8, IPFamily.IPv6).ToString());
        Assert.Equal("-t 10.0.0.1:80", Tcp80.IpvsadmArgument);
        Assert.Equal("--sctp-service 10.0.0.2:3868", ServiceKey.ForAddress(IpvsProtocol.Sctp, IPAddress.Parse("10.0.0.2"), 3868).IpvsadmArgument);
        Assert.Equal("-f 8 -6", ServiceKey.ForFirewallMark(8, IPFamily.IPv6).IpvsadmArgument);
        // value equality: a key read back from the kernel equals the one built in code
        Assert.Equal(Tcp80, ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80));
    }

    public static TheoryData<string, IpvsOperation> Operations => new()
    {
        { "ipvsadm -A -t 10.0.0.1:80 -s wlc", IpvsOperation.AddService(new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80 }) },
        { "ipvsadm -A -t 10.0.0.2:80 -s rr -p 20 -M 255.0.255.0", IpvsOperation.AddService(new LvsService
            { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.2"), Port = 80, Scheduler = "rr", Persistent = true,
              PersistenceTimeout = TimeSpan.FromSeconds(20), PersistenceNetmask = 0xFF00FF00 }) },
        { "ipvsadm -A -t 10.0.0.3:0 -s rr -p 300 -M 255.255.255.0 --pe sip", IpvsOperation.AddService(new LvsService
            { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.3"), Port = 0, Scheduler = "rr", Persistent = true,
              PersistenceTimeout = LvsService.DefaultPersistenceTimeout, PersistencePrefixLength = 24, PersistenceEngine = "sip" }) },
        { "ipvsadm -A -f 8 -6 -s wrr -p 60 -M 64", IpvsOperation.AddService(new LvsService
            { FirewallMark = 8, AddressFamily = IPFamily.IPv6, Scheduler = "wrr", Persistent = true, PersistenceTimeout = TimeSpan.FromSeconds(60), PersistencePrefixLength = 64 }) },
        { "ipvsadm -E -u [2001:db8::1]:53 -s sh -o -b sh-fallback,sh-port", IpvsOperation.EditService(new LvsService
            { Protocol = IpvsProtocol.Udp, Address = IPAddress.Parse("2001:db8::1"), Port = 53, Scheduler = "sh", OnePacket = true, SchedulerFallback = true, SchedulerPort = true }) },
        { "ipvsadm -A -t 10.0.0.1:80 -s rr -b flag-1,flag-3", IpvsOperation.AddService(new LvsService
            { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "rr", Flags = ServiceFlags.Sched1 | ServiceFlags.Sched3 }) },
        { "ipvsadm -D -f 7", IpvsOperation.DeleteService(ServiceKey.ForFirewallMark(7)) },
        { "ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3", IpvsOperation.AddRealServer(new LvsRealServer
            { Service = Tcp80, Address = IPAddress.Parse("10.0.1.11"), Port = 8080, ForwardingMethod = ForwardingMethod.Masquerade, Weight = 3 }) },
        { "ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.12:80 -g -w 0 -x 100 -y 50", IpvsOperation.EditRealServer(new LvsRealServer
            { Service = Tcp80, Address = IPAddress.Parse("10.0.1.12"), Port = 80, Weight = 0, UpperThreshold = 100, LowerThreshold = 50 }) },
        { "ipvsadm -a -t 10.0.0.1:80 -r [2001:db8::5]:80 -i -w 1 --tun-type ipip", IpvsOperation.AddRealServer(new LvsRealServer
            { Service = Tcp80, Address = IPAddress.Parse("2001:db8::5"), Port = 80, ForwardingMethod = ForwardingMethod.Tunnel }) },
        { "ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.21:80 -i -w 1 --tun-type gre --tun-csum", IpvsOperation.AddRealServer(new LvsRealServer
            { Service = Tcp80, Address = IPAddress.Parse("10.0.1.21"), Port = 80, ForwardingMethod = ForwardingMethod.Tunnel, TunnelType = TunnelType.Gre, TunnelChecksum = TunnelChecksum.Checksum }) },
        { "ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.22:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum", IpvsOperation.AddRealServer(new LvsRealServer
            { Service = Tcp80, Address = IPAddress.Parse("10.0.1.22"), Port = 80, ForwardingMethod = ForwardingMethod.Tunnel, TunnelType = TunnelType.Gue, TunnelPort = 5555, TunnelChecksum = TunnelChecksum.RemoteChecksum }) },
        { "ipvsadm -d -f 7 -r 10.0.1.11:0", IpvsOperation.DeleteRealServer(ServiceKey.ForFirewallMark(7), IPAddress.Parse("10.0.1.11"), 0) },
        { "ipvsadm -Z -u [2001:db8::1]:53", IpvsOperation.Zero(ServiceKey.ForAddress(IpvsProtocol.Udp, IPAddress.Parse("2001:db8::1"), 53)) },
        { "ipvsadm -Z", IpvsOperation.Zero() },
        { "ipvsadm -C", IpvsOperation.Flush() },
        { "ipvsadm --set 0 0 60", IpvsOperation.SetTimeouts(new LvsTimeouts { Udp = TimeSpan.FromSeconds(60) }) },
        { "ipvsadm --start-daemon backup --mcast-interface eth1 --syncid 6 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 8849 --mcast-ttl 2",
            IpvsOperation.StartSyncDaemon(new LvsSyncDaemon { State = SyncDaemonState.Backup, MulticastInterface = "eth1", SyncId = 6, SyncMaxLength = 1400,
                MulticastGroup = IPAddress.Parse("239.1.2.3"), MulticastPort = 8849, MulticastTtl = 2 }) },
        { "ipvsadm --stop-daemon master", IpvsOperation.StopSyncDaemon(SyncDaemonState.Master) },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public void Describe_gives_the_ipvsadm_command_line_and_the_operation_is_valid(string expected, IpvsOperation op)
    {
        Assert.Equal(expected, op.Describe());
        op.Validate();
        Assert.StartsWith("IPVS_CMD_", op.CommandName);
        var w = new NetlinkWriter();
        op.Write(w, 28);
        Assert.Equal(1, w.MessageCount);
        Assert.Equal(op.Command, w.WrittenSpan[16]);
    }

    [Fact]
    public void CommandName_names_the_kernel_command()
    {
        Assert.Equal("IPVS_CMD_NEW_SERVICE", IpvsOperation.AddService(new LvsService { FirewallMark = 1 }).CommandName);
        Assert.Equal("IPVS_CMD_DEL_DEST", IpvsOperation.DeleteRealServer(Tcp80, IPAddress.Loopback, 80).CommandName);
        Assert.Equal("IPVS_CMD_SET_CONFIG", IpvsOperation.SetTimeouts(new LvsTimeouts()).CommandName);
        Assert.Equal("IPVS_CMD_DEL_DAEMON", IpvsOperation.StopSyncDaemon(SyncDaemonState.Backup).CommandName);
    }

    private static LvsService Svc(Action<LvsServiceBuilder>? edit = null)
    {
        var b = new LvsServiceBuilder();
        edit?.Invoke(b);
        return b.Build();
    }

    private sealed class LvsServiceBuilder
    {
        public string Scheduler = "rr";
        public ushort Port = 80;
        public bool Persistent;
        public TimeSpan Timeout;
        public string? Pe;
        public bool OnePacket;
        public IpvsProtocol Protocol = IpvsProtocol.Tcp;
        public string Address = "10.0.0.1";
        public uint? Netmask;

        public LvsService Build()
        {
            var s = new LvsService
            {
                Protocol = Protocol, Address = IPAddress.Parse(Address), Port = Port, Scheduler = Scheduler, Persistent = Persistent,
                PersistenceTimeout = Timeout, PersistenceEngine = Pe, OnePacket = OnePacket,
            };
            return Netmask is { } m ? new LvsService
            {
                Protocol = Protocol, Address = IPAddress.Parse(Address), Port = Port, Scheduler = Scheduler, Persistent = Persistent,
                PersistenceTimeout = Timeout, PersistenceEngine = Pe, OnePacket = OnePacket, PersistenceNetmask = m,
            } : s;
        }
    }

    private static void Invalid(string id, Action check)
    {
        var e = Assert.Throws<LvsException>(check);
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(LvsErrorKind.InvalidArgument, e.Kind);
        Assert.NotNull(e.Target);
    }

    [Fact]
    public void Service_validation_names_the_bad_value()
    {
        Invalid("InvalidScheduler", () => IpvsValidation.Service(Svc(b => b.Scheduler = "roundrobin")));
        Invalid("InvalidScheduler", () => IpvsValidation.Scheduler("abcdefghijklmnop"));
        Invalid("InvalidPort", () => IpvsValidation.Service(Svc(b => b.Port = 0)));
        IpvsValidation.Service(Svc(b => { b.Port = 0; b.Persistent = true; b.Timeout = TimeSpan.FromSeconds(300); }));
        Invalid("InvalidPersistenceTimeout", () => IpvsValidation.Service(Svc(b => b.Persistent = true)));
        Invalid("InvalidPersistenceTimeout", () => IpvsValidation.Service(Svc(b => { b.Persistent = true; b.Timeout = TimeSpan.FromDays(32); })));
        Invalid("InvalidPersistenceTimeout", () => IpvsValidation.Service(Svc(b => { b.Persistent = true; b.Timeout = TimeSpan.FromMilliseconds(1500); })));
        Invalid("InvalidPersistenceEngine", () => IpvsValidation.Service(Svc(b => b.Pe = "http")));
        Invalid("InvalidOnePacket", () => IpvsValidation.Service(Svc(b => b.OnePacket = true)));
        IpvsValidation.Service(Svc(b => { b.OnePacket = true; b.Protocol = IpvsProtocol.Udp; }));
        Invalid("InvalidNetmask", () => IpvsValidation.Service(Svc(b => { b.Address = "2001:db8::1"; b.Netmask = 129; })));
        Invalid("InvalidNetmask", () => IpvsValidation.Service(Svc(b => { b.Address = "2001:db8::1"; b.Netmask = 0; })));
        Invalid("InvalidNetmask", () => IpvsValidation.PrefixLength(IPFamily.IPv4, 33));
        Invalid("InvalidFirewallMark", () => IpvsValidation.Service(new LvsService { FirewallMark = 0 }));
        Invalid("InvalidFirewallMark", () => IpvsValidation.FirewallMark(0));
        Invalid("InvalidServiceAddress", () => IpvsValidation.Key(new ServiceKey(IPFamily.IPv4, IpvsProtocol.Tcp, null, 80, 0)));
        Invalid("InvalidServiceAddress", () => IpvsValidation.Key(new ServiceKey(IPFamily.IPv6, IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80, 0)));
    }

    private static LvsRealServer Rs(string address = "10.0.1.1", ushort port = 80, ForwardingMethod fwd = ForwardingMethod.Masquerade, int weight = 1,
        uint upper = 0, uint lower = 0, TunnelType? type = null, ushort? tunPort = null, TunnelChecksum? csum = null, ServiceKey? service = null) => new()
    {
        Service = service ?? Tcp80, Address = IPAddress.Parse(address), Port = port, ForwardingMethod = fwd, Weight = weight,
        UpperThreshold = upper, LowerThreshold = lower, TunnelType = type, TunnelPort = tunPort, TunnelChecksum = csum,
    };

    [Fact]
    public void Real_server_validation_names_the_bad_value()
    {
        IpvsValidation.RealServer(Rs(weight: IpvsValidation.MaxWeight));
        Invalid("InvalidWeight", () => IpvsValidation.RealServer(Rs(weight: -1)));
        Invalid("InvalidWeight", () => IpvsValidation.RealServer(Rs(weight: IpvsValidation.MaxWeight + 1)));
        Invalid("InvalidWeight", () => IpvsValidation.Weight(2147483648L));
        Invalid("InvalidThreshold", () => IpvsValidation.RealServer(Rs(lower: 5)));
        Invalid("InvalidThreshold", () => IpvsValidation.RealServer(Rs(upper: 10, lower: 20)));
        Invalid("InvalidThreshold", () => IpvsValidation.RealServer(Rs(upper: 3_000_000_000)));
        IpvsValidation.RealServer(Rs(upper: 10, lower: 5));
        // Mixed families only with tunnel forwarding (ip_vs_genl_set_cmd: EINVAL otherwise; ipvsadm refuses it too).
        Invalid("InvalidRealServerFamily", () => IpvsValidation.RealServer(Rs("2001:db8::7")));
        IpvsValidation.RealServer(Rs("2001:db8::7", fwd: ForwardingMethod.Tunnel));
        Invalid("InvalidForwardingMethod", () => IpvsValidation.RealServer(Rs(fwd: ForwardingMethod.Local)));
        Invalid("InvalidPort", () => IpvsValidation.RealServer(Rs(port: 0)));
        Invalid("InvalidPort", () => IpvsValidation.RealServer(Rs(port: 8080, fwd: ForwardingMethod.Route)));
        IpvsValidation.RealServer(Rs(port: 0, fwd: ForwardingMethod.Route, service: ServiceKey.ForFirewallMark(3)));
        Invalid("InvalidTunnelOption", () => IpvsValidation.RealServer(Rs(type: TunnelType.Gue)));
        Invalid("InvalidTunnelOption", () => IpvsValidation.RealServer(Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.Gue)));
        Invalid("InvalidTunnelOption", () => IpvsValidation.RealServer(Rs(fwd: ForwardingMethod.Tunnel, tunPort: 6080)));
        Invalid("InvalidTunnelOption", () => IpvsValidation.RealServer(Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.Gre, csum: TunnelChecksum.RemoteChecksum)));
        IpvsValidation.RealServer(Rs(fwd: ForwardingMethod.Tunnel, type: TunnelType.Gue, tunPort: 6080, csum: TunnelChecksum.RemoteChecksum));
    }

    [Fact]
    public void Timeout_and_daemon_validation()
    {
        IpvsValidation.Timeouts(new LvsTimeouts());
        Invalid("InvalidTimeout", () => IpvsValidation.Timeouts(new LvsTimeouts { Tcp = TimeSpan.FromDays(40) }));
        Invalid("InvalidTimeout", () => IpvsValidation.Timeouts(new LvsTimeouts { Udp = TimeSpan.FromSeconds(-1) }));
        IpvsValidation.SyncDaemon(new LvsSyncDaemon { MulticastInterface = "eth0", SyncId = 255 });
        Invalid("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(new LvsSyncDaemon { MulticastInterface = "" }));
        Invalid("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(new LvsSyncDaemon { MulticastInterface = "eth0", SyncId = 256 }));
        Invalid("InvalidSyncDaemon", () => IpvsValidation.SyncDaemon(new LvsSyncDaemon { MulticastInterface = "eth0", MulticastGroup = IPAddress.Parse("10.0.0.1") }));
        IpvsValidation.SyncDaemon(new LvsSyncDaemon { MulticastInterface = "eth0", MulticastGroup = IPAddress.Parse("ff02::1:2") });
    }

    [Fact]
    public void Persistence_netmask_and_prefix_length()
    {
        var v4 = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80 };
        Assert.Equal(0xFFFFFFFFu, v4.PersistenceNetmask);
        Assert.Equal(32, v4.PersistencePrefixLength);
        Assert.Equal(IPAddress.Parse("255.255.255.255"), v4.PersistenceMask);
        var v4p = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, PersistencePrefixLength = 24 };
        Assert.Equal(0xFFFFFF00u, v4p.PersistenceNetmask);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), v4p.PersistenceMask);
        var holes = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, PersistenceNetmask = 0xFF00FF00 };
        Assert.Equal(-1, holes.PersistencePrefixLength);
        var v6 = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("2001:db8::1"), Port = 80 };
        Assert.Equal(128u, v6.PersistenceNetmask);
        Assert.Null(v6.PersistenceMask);
        var fw6 = new LvsService { FirewallMark = 1, AddressFamily = IPFamily.IPv6, PersistencePrefixLength = 48 };
        Assert.Equal(48u, fw6.PersistenceNetmask);

        // On the wire: IPv4 mask in network order, IPv6 prefix length in host order.
        Assert.Equal("FFFFFF00", NetmaskBytes(v4p));
        Assert.Equal(Convert.ToHexString(BitConverter.GetBytes(48u)), NetmaskBytes(fw6));
    }

    private static string NetmaskBytes(LvsService s)
    {
        var w = new NetlinkWriter();
        IpvsCodec.WriteService(w, s);
        var nest = w.WrittenSpan[4..].ToArray();
        Assert.True(IpvsNetlink.TryFind(nest, IpvsNetlink.IPVS_SVC_ATTR_NETMASK, out var v));
        return Convert.ToHexString(v);
    }

    [Fact]
    public void Flags_are_written_without_HASHED_and_with_a_full_mask()
    {
        var s = new LvsService { FirewallMark = 1, Flags = ServiceFlags.Hashed | ServiceFlags.Persistent, PersistenceTimeout = TimeSpan.FromSeconds(10) };
        var w = new NetlinkWriter();
        IpvsCodec.WriteService(w, s);
        Assert.True(IpvsNetlink.TryFind(w.WrittenSpan[4..].ToArray(), IpvsNetlink.IPVS_SVC_ATTR_FLAGS, out var f));
        Assert.Equal("01000000FFFFFFFF", Convert.ToHexString(f));
    }

    [Fact]
    public void Parse_then_WriteReply_keeps_unknown_attributes()
    {
        var s = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80, Scheduler = "rr", Flags = ServiceFlags.Hashed };
        var w = new NetlinkWriter();
        s.WriteReply(w);
        var withUnknown = w.WrittenSpan.ToArray().ToList();
        // append an unknown attribute (type 30) inside the service nest and fix the nest length
        withUnknown.AddRange([8, 0, 30, 0, 1, 2, 3, 4]);
        var bytes = withUnknown.ToArray();
        BitConverter.GetBytes((ushort)bytes.Length).CopyTo(bytes, 0);
        var parsed = IpvsCodec.ReadService(bytes.AsSpan(4));
        var u = Assert.Single(parsed.UnknownAttributes);
        Assert.Equal(30, u.Type);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, u.Value);
        var w2 = new NetlinkWriter();
        parsed.WriteReply(w2);
        Assert.Equal(bytes, w2.WrittenSpan.ToArray());
    }

    [Fact]
    public void Parse_rejects_a_service_without_family_or_identity()
    {
        var w = new NetlinkWriter();
        w.String(IpvsNetlink.IPVS_SVC_ATTR_SCHED_NAME, "rr");
        Assert.Throws<NetlinkProtocolException>(() => IpvsCodec.ReadService(w.WrittenSpan));
        w.U16(IpvsNetlink.IPVS_SVC_ATTR_AF, 2);
        Assert.Throws<NetlinkProtocolException>(() => IpvsCodec.ReadService(w.WrittenSpan));
    }

    [Fact]
    public void Connection_table_parses_IPv4_IPv6_and_persistence_engine_lines()
    {
        const string text =
            "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n" +
            "TCP 0A090002 D431 0A000001 0050 0A000102 1F90 ESTABLISHED     899\n" +
            "TCP 2001:0db8:0000:0000:0000:0000:0000:0009 8AE2 2001:0db8:0000:0000:0000:0000:0000:0001 0050 0A000105 0050 SYN_RECV         59\n" +
            "UDP 0A090003 13C4 0A000001 13C4 0A000103 13C4 UDP             179 sip 1234@example\n";
        var list = IpvsConnectionTable.Parse(text);
        Assert.Equal(3, list.Count);
        var a = list[0];
        Assert.Equal(("TCP", IPAddress.Parse("10.9.0.2"), (ushort)0xD431), (a.Protocol, a.ClientAddress, a.ClientPort));
        Assert.Equal((IPAddress.Parse("10.0.0.1"), (ushort)80), (a.VirtualAddress, a.VirtualPort));
        Assert.Equal((IPAddress.Parse("10.0.1.2"), (ushort)8080), (a.DestinationAddress, a.DestinationPort));
        Assert.Equal(("ESTABLISHED", TimeSpan.FromSeconds(899)), (a.State, a.Expires));
        Assert.Null(a.PersistenceEngine);
        Assert.Equal("TCP 14:59  ESTABLISHED 10.9.0.2:54321     10.0.0.1:80        10.0.1.2:8080", a.ToString());
        var b = list[1];
        Assert.Equal(IPAddress.Parse("2001:db8::9"), b.ClientAddress);
        Assert.Equal(IPAddress.Parse("10.0.1.5"), b.DestinationAddress); // a tunnel server of the other family
        var c = list[2];
        Assert.Equal(("sip", "1234@example"), (c.PersistenceEngine, c.PersistenceData));
        var e = Assert.Throws<LvsException>(() => IpvsConnectionTable.Parse("TCP 0A0900 D431\n"));
        Assert.Equal(LvsErrorKind.ProtocolError, e.Kind);
    }

    [Fact]
    public void Version_code_decodes()
    {
        Assert.Equal(new Version(1, 2, 1), IpvsCodec.DecodeVersion(0x010201));
    }

    [Fact]
    public void Module_lists_are_read_from_proc_modules_and_the_modules_tree()
    {
        var dir = Directory.CreateTempSubdirectory("lvst-mod-");
        try
        {
            var proc = Path.Combine(dir.FullName, "modules");
            File.WriteAllText(proc, "ip_vs_rr 2029 0 - Live 0x0\nip_vs 162529 30 ip_vs_rr, Live 0x0\nveth 18706 0 - Live 0x0\n");
            Assert.Equal(["ip_vs", "ip_vs_rr"], IpvsModules.Loaded(proc).Order());
            var ipvs = Directory.CreateDirectory(Path.Combine(dir.FullName, "9.9.9", "kernel", "net", "netfilter", "ipvs"));
            File.WriteAllText(Path.Combine(ipvs.FullName, "ip_vs_wlc.ko.xz"), "");
            File.WriteAllText(Path.Combine(ipvs.FullName, "ip_vs_pe_sip.ko"), "");
            File.WriteAllText(Path.Combine(dir.FullName, "9.9.9", "modules.builtin"), "kernel/net/netfilter/ipvs/ip_vs_mh.ko\n");
            var installed = IpvsModules.Installed("9.9.9", dir.FullName);
            Assert.Equal(["wlc", "mh"], IpvsModules.Schedulers(installed));
            Assert.Equal(["sip"], IpvsModules.PersistenceEngines(installed));
        }
        finally
        {
            dir.Delete(true);
        }
    }
    [Fact]
    public void A_service_key_is_made_once_and_follows_a_with_that_changes_the_service()
    {
        var svc = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80 };
        var key = svc.Key;
        Assert.Same(key, svc.Key);
        Assert.Equal(ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80), key);
        // Equality and hash do not depend on whether the key was asked for.
        var twin = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80 };
        Assert.Equal(svc, twin);
        Assert.Equal(svc.GetHashCode(), twin.GetHashCode());
        // A copy that changes a member of the key has its own key; one that changes something else keeps it.
        Assert.Equal(81, (svc with { Port = 81 }).Key.Port);
        Assert.Equal(IpvsProtocol.Udp, (svc with { Protocol = IpvsProtocol.Udp }).Key.Protocol);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), (svc with { Address = IPAddress.Parse("10.0.0.2") }).Key.Address);
        Assert.Equal(7u, (svc with { FirewallMark = 7 }).Key.FirewallMark);
        Assert.Equal(IPFamily.IPv6, (svc with { AddressFamily = IPFamily.IPv6 }).Key.Family);
        Assert.Same(key, (svc with { Scheduler = "rr" }).Key);
        Assert.NotEqual(svc, svc with { Port = 81 });
    }

    [Fact]
    public void A_plan_step_keeps_what_it_was_given_and_formats_its_request_once()
    {
        var svc = new LvsService { Protocol = IpvsProtocol.Tcp, Address = IPAddress.Parse("10.0.0.1"), Port = 80 };
        var step = new LvsPlanStep { Action = LvsPlanAction.Create, Object = LvsPlanObject.Service, Ipvs = IpvsOperation.AddService(svc) };
        Assert.Null(step.Changes);
        Assert.Null(step.Differences);
        Assert.Null(step.Error);
        Assert.Null(step.Exception);
        Assert.Equal("TCP  10.0.0.1:80", step.Target);
        Assert.Same(step.Target, step.Target);
        Assert.Equal("ipvsadm -A -t 10.0.0.1:80 -s wlc", step.Operation);
        Assert.Same(step.Operation, step.Operation);
        step.Status = LvsPlanStatus.Failed;
        step.Error = "refused";
        Assert.Equal("refused", step.Error);
        Assert.Equal("TCP  10.0.0.1:80", step.Target);
        step.Error = null;
        Assert.Null(step.Error);
        var given = new LvsPlanStep
        {
            Action = LvsPlanAction.Update, Object = LvsPlanObject.Sysctl, Target = "net.ipv4.ip_forward", Operation = "sysctl -w net.ipv4.ip_forward=1",
            Changes = "0 -> 1", Differences = [new("value", "0", "1")], Restart = true,
        };
        Assert.Equal(("net.ipv4.ip_forward", "sysctl -w net.ipv4.ip_forward=1", "0 -> 1", true), (given.Target, given.Operation, given.Changes, given.Restart));
        Assert.Single(given.Differences!);
        Assert.Null(given.IpvsRequest);
        Assert.Equal(LvsPlanStatus.Planned, given.Status);
        // A create at the kernel's level (what a plan makes) gives back an operation equal to the one it was given.
        var rs = new LvsRealServer { Service = svc.Key, Address = IPAddress.Parse("10.0.1.1"), Port = 80, ForwardingMethod = ForwardingMethod.Masquerade };
        IpvsOperation[] ops =
        [
            IpvsOperation.AddRealServer(rs) with { Validation = ValidationLevel.Kernel }, IpvsOperation.AddService(svc) with { Validation = ValidationLevel.Kernel },
            IpvsOperation.AddRealServer(rs), IpvsOperation.EditRealServer(rs) with { Validation = ValidationLevel.Kernel }, IpvsOperation.DeleteRealServer(rs),
        ];
        foreach (var op in ops)
        {
            var made = new LvsPlanStep { Action = LvsPlanAction.Create, Object = LvsPlanObject.RealServer, Ipvs = op };
            Assert.Equal(op, made.IpvsRequest);
            Assert.Equal(op.GetType(), made.IpvsRequest!.GetType());
            Assert.Equal(op.Describe(), made.Operation);
            Assert.Equal(op.Target, made.Target);
        }
    }
}
