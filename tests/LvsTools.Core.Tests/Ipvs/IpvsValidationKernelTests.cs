using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Tests.Kernel;
using Xunit.Abstractions;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// Every range check of <see cref="IpvsValidation"/> against the real kernel (the UML guest), at its boundaries: each
/// value is sent raw (no module check) and the kernel's answer is compared with both levels. Kernel level must agree
/// with the kernel exactly (what it refuses the kernel refuses, what it accepts the kernel accepts); Create level must
/// never accept what the kernel refuses or silently changes (a value it accepts reads back unchanged). Connection
/// timeouts depend on the kernel's HZ (EINVAL above INT_MAX/HZ seconds): there Create must hold on every HZ and Kernel
/// on HZ=100 (the UML kernel) or more.
/// </summary>
[Trait("Kernel", "uml")]
public sealed class IpvsValidationKernelTests : IDisposable
{
    private readonly ITestOutputHelper _out;
    private readonly TestNamespace? _ns;
    private readonly IpvsClient? _client;

    public IpvsValidationKernelTests(ITestOutputHelper output)
    {
        _out = output;
        if (IpvsKernelTests.IpvsAvailable)
        {
            _ns = new TestNamespace(veth: false);
            _ns.Ip("link", "add", "d0", "type", "dummy");
            _ns.Ip("link", "set", "d0", "up");
            _client = IpvsClient.Open(_ns.Namespace);
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _ns?.Dispose();
    }

    private IpvsClient Client => _client!;

    private static readonly ServiceKey V4 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("10.0.0.1"), 80);
    private static readonly ServiceKey V6 = ServiceKey.ForAddress(IpvsProtocol.Tcp, IPAddress.Parse("2001:db8::1"), 80);
    private int _next = 1;

    private int Raw(IpvsOperation op, IpvsClient? client = null)
    {
        client ??= Client;
        var w = new NetlinkWriter();
        op.Write(w, client.FamilyId);
        try
        {
            client.Connection.Execute(w, op.CommandName);
            return 0;
        }
        catch (NetlinkException e)
        {
            return e.Errno;
        }
    }

    private static string? Refusal(IpvsOperation op, ValidationLevel level)
    {
        try
        {
            (op with { Validation = level }).Validate();
            return null;
        }
        catch (LvsException e)
        {
            return e.ErrorId;
        }
    }

    /// <summary>Sends <paramref name="op"/> raw and checks both levels against the kernel's answer.</summary>
    /// <returns>True when the kernel accepted it.</returns>
    private bool Check(string name, IpvsOperation op, List<string> disagreements, bool hzDependent = false, IpvsClient? client = null)
    {
        string? kernelLevel = Refusal(op, ValidationLevel.Kernel), createLevel = Refusal(op, ValidationLevel.Create);
        int errno = Raw(op, client);
        _out.WriteLine($"{name,-44} kernel: {(errno == 0 ? "accepted" : Errno.Name(errno)),-8} Kernel level: {kernelLevel ?? "ok",-26} Create level: {createLevel ?? "ok"}");
        if (createLevel is null && errno != 0)
            disagreements.Add($"{name}: Create level accepts it, the kernel answers {Errno.Name(errno)}");
        if (kernelLevel is not null && errno == 0)
            disagreements.Add($"{name}: Kernel level refuses it ({kernelLevel}), the kernel accepts it");
        if (kernelLevel is null && errno != 0 && !hzDependent)
            disagreements.Add($"{name}: Kernel level accepts it, the kernel answers {Errno.Name(errno)}");
        if (createLevel is not null && kernelLevel is null && errno != 0 && !hzDependent)
            disagreements.Add($"{name}: only Create level refuses it, yet the kernel refuses it too (it belongs to both levels)");
        return errno == 0;
    }

    private LvsService Svc(string address = "10.0.0.2", ushort? port = null, Action<LvsServiceBuilder>? edit = null)
    {
        var b = new LvsServiceBuilder { Address = IPAddress.Parse(address), Port = port ?? (ushort)_next++ };
        edit?.Invoke(b);
        return b.Build();
    }

    private LvsRealServer Rs(ServiceKey service, string? address = null, ushort port = 80, ForwardingMethod fwd = ForwardingMethod.Route,
        int weight = 1, uint upper = 0, uint lower = 0, TunnelType? type = null, ushort? tunnelPort = null, TunnelChecksum? checksum = null) => new()
        {
            Service = service, Address = IPAddress.Parse(address ?? $"10.0.1.{_next++}"), Port = port, ForwardingMethod = fwd, Weight = weight,
            UpperThreshold = upper, LowerThreshold = lower, TunnelType = type, TunnelPort = tunnelPort, TunnelChecksum = checksum,
        };

    [SkippableFact]
    public void Every_boundary_of_services_and_real_servers_agrees_with_the_kernel()
    {
        Skip.IfNot(IpvsKernelTests.IpvsAvailable, "no IPVS here: run in the UML guest (tests/Uml/uml-run.sh)");
        var bad = new List<string>();
        Client.AddService(new LvsService { Protocol = IpvsProtocol.Tcp, Address = V4.Address, Port = 80, Scheduler = "rr" });
        Client.AddService(new LvsService { Protocol = IpvsProtocol.Tcp, Address = V6.Address, Port = 80, Scheduler = "rr", PersistenceNetmask = 128 });

        // Services: persistence timeout, port 0, one-packet, netmask, addresses, scheduler, firewall mark.
        Check("persistence timeout 31 days", IpvsOperation.AddService(Svc(edit: b => b.Persistent(TimeSpan.FromDays(31)))), bad);
        Check("persistence timeout 31 days + 1 s", IpvsOperation.AddService(Svc(edit: b => b.Persistent(TimeSpan.FromDays(31) + TimeSpan.FromSeconds(1)))), bad);
        Check("persistence timeout 40 days", IpvsOperation.AddService(Svc(edit: b => b.Persistent(TimeSpan.FromDays(40)))), bad);
        Check("persistence timeout 4294967295 s", IpvsOperation.AddService(Svc(edit: b => b.Persistent(TimeSpan.FromSeconds(uint.MaxValue)))), bad);
        Check("persistence timeout 1 s", IpvsOperation.AddService(Svc(edit: b => b.Persistent(TimeSpan.FromSeconds(1)))), bad);
        Check("persistent with timeout 0", IpvsOperation.AddService(Svc(edit: b => b.Persistent(TimeSpan.Zero))), bad);
        Check("port 0 without persistence", IpvsOperation.AddService(Svc(port: 0)), bad);
        Check("one-packet on TCP", IpvsOperation.AddService(Svc(edit: b => b.Flags = ServiceFlags.OnePacket)), bad);
        Check("flag-1 on rr", IpvsOperation.AddService(Svc(edit: b => b.Flags = ServiceFlags.Sched1)), bad);
        foreach (uint nm in new uint[] { 0, 1, 128, 129 })
            Check($"IPv6 persistence prefix {nm}", IpvsOperation.AddService(Svc("2001:db8::2", edit: b => b.Netmask = nm)), bad);
        foreach (var a in new[] { "255.255.255.255", "224.0.0.1", "239.255.255.255", "240.0.0.1", "0.0.0.0", "::", "ff02::1", "::ffff:10.0.0.9", "192.0.2.1", "2001:db8::3" })
            Check($"service on {a}", IpvsOperation.AddService(Svc(a, 80, b => b.Netmask = a.Contains(':') ? 128u : uint.MaxValue)), bad);
        Check("scheduler none", IpvsOperation.AddService(Svc(edit: b => b.Scheduler = "none")), bad);
        Check("firewall mark 1", IpvsOperation.AddService(new LvsService { FirewallMark = 1, Scheduler = "rr" }), bad);
        Check("firewall mark 4294967295", IpvsOperation.AddService(new LvsService { FirewallMark = uint.MaxValue, Scheduler = "rr" }), bad);

        // Real servers: port, weight, thresholds, forwarding, address, tunnel options, family.
        Check("Route on port 8080 of a :80 service", IpvsOperation.AddRealServer(Rs(V4, port: 8080)), bad);
        Check("Tunnel on port 8080 of a :80 service", IpvsOperation.AddRealServer(Rs(V4, port: 8080, fwd: ForwardingMethod.Tunnel)), bad);
        Check("Masquerade on port 0 of a :80 service", IpvsOperation.AddRealServer(Rs(V4, port: 0, fwd: ForwardingMethod.Masquerade)), bad);
        foreach (int w in new[] { -1, 0, 65535, 65536, int.MaxValue })
            Check($"weight {w}", IpvsOperation.AddRealServer(Rs(V4, weight: w)), bad);
        foreach (var (u, l) in new (uint, uint)[] { (int.MaxValue, 0), (2147483648, 0), (uint.MaxValue, uint.MaxValue), (5, 6), (0, 1), (5, 5) })
            Check($"thresholds upper {u} lower {l}", IpvsOperation.AddRealServer(Rs(V4, upper: u, lower: l)), bad);
        foreach (var fwd in new[] { ForwardingMethod.Local, ForwardingMethod.Bypass })
            Check($"forwarding {fwd}", IpvsOperation.AddRealServer(Rs(V4, fwd: fwd)), bad);
        foreach (var a in new[] { "0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.255", "240.0.0.2", "255.255.255.254", "0.0.0.1", "127.0.0.2" })
            Check($"real server {a}", IpvsOperation.AddRealServer(Rs(V4, a)), bad);
        foreach (var a in new[] { "::", "ff02::1", "ff05::2", "::ffff:1.2.3.4", "::2" })
            Check($"real server {a}", IpvsOperation.AddRealServer(Rs(V6, a)), bad);
        Check("GUE tunnel port 0", IpvsOperation.AddRealServer(Rs(V4, fwd: ForwardingMethod.Tunnel, type: TunnelType.Gue, tunnelPort: 0)), bad);
        Check("GUE tunnel port 1", IpvsOperation.AddRealServer(Rs(V4, fwd: ForwardingMethod.Tunnel, type: TunnelType.Gue, tunnelPort: 1)), bad);
        Check("GUE tunnel port 65535", IpvsOperation.AddRealServer(Rs(V4, fwd: ForwardingMethod.Tunnel, type: TunnelType.Gue, tunnelPort: 65535)), bad);
        Check("ipip tunnel port 5000", IpvsOperation.AddRealServer(Rs(V4, fwd: ForwardingMethod.Tunnel, type: TunnelType.IpIp, tunnelPort: 5000)), bad);
        Check("ipip with checksum", IpvsOperation.AddRealServer(Rs(V4, fwd: ForwardingMethod.Tunnel, type: TunnelType.IpIp, checksum: TunnelChecksum.Checksum)), bad);
        Check("GRE with remote checksum", IpvsOperation.AddRealServer(Rs(V4, fwd: ForwardingMethod.Tunnel, type: TunnelType.Gre, checksum: TunnelChecksum.RemoteChecksum)), bad);
        Check("IPv6 real server, IPv4 service, Route", IpvsOperation.AddRealServer(Rs(V4, "2001:db8::7")), bad);

        // Accepted values read back as sent: the kernel holds them losslessly.
        var held = Client.GetAllRealServers().ToDictionary(r => r.Endpoint);
        Assert.Equal(int.MaxValue, held.Values.Max(r => r.Weight));
        Assert.Equal(uint.MaxValue, held.Values.Max(r => r.UpperThreshold));
        Assert.Contains(held.Values, r => r.Port == 8080 && r.ForwardingMethod == ForwardingMethod.Route);
        Assert.Contains(held.Values, r => r.Port == 8080 && r.ForwardingMethod == ForwardingMethod.Tunnel);
        Assert.Empty(bad);
    }

    [SkippableFact]
    public void Every_boundary_of_timeouts_and_the_sync_daemon_agrees_with_the_kernel()
    {
        Skip.IfNot(IpvsKernelTests.IpvsAvailable, "no IPVS here: run in the UML guest (tests/Uml/uml-run.sh)");
        var bad = new List<string>();
        // INT_MAX/1000 and INT_MAX/100 are the limits of HZ=1000 and HZ=100.
        foreach (int s in new[] { 0, 2147483, 2147484, 21474836, 21474837, int.MaxValue })
        {
            var t = new LvsTimeouts { Tcp = TimeSpan.FromSeconds(s) };
            if (Check($"TCP timeout {s}", IpvsOperation.SetTimeouts(t), bad, hzDependent: s is > 2147483 and <= 21474836) && s > 0
                && Refusal(IpvsOperation.SetTimeouts(t), ValidationLevel.Create) is null)
                Assert.Equal(TimeSpan.FromSeconds(s), Client.GetTimeouts().Tcp);
        }

        LvsSyncDaemon D(SyncDaemonState state = SyncDaemonState.Master, uint syncId = 1, ushort? maxLen = null, string? group = null,
            ushort? port = null, byte? ttl = null) => new()
            {
                State = state, MulticastInterface = "d0", SyncId = syncId, SyncMaxLength = maxLen,
                MulticastGroup = group is null ? null : IPAddress.Parse(group), MulticastPort = port, MulticastTtl = ttl,
            };
        var cases = new (string Name, LvsSyncDaemon Daemon)[]
        {
            ("sync id 255", D(syncId: 255)), ("sync id 256", D(syncId: 256)), ("sync id 4294967295", D(syncId: uint.MaxValue)),
            ("master maxlen 1", D(maxLen: 1)),
            ("master maxlen 65507", D(maxLen: 65507)), ("master maxlen 65508", D(maxLen: 65508)),
            ("master maxlen 0", D(maxLen: 0)), ("IPv6 group maxlen 65487", D(maxLen: 65487, group: "ff02::123")),
            ("IPv6 group maxlen 65488", D(maxLen: 65488, group: "ff02::123")),
            ("backup maxlen 1023", D(SyncDaemonState.Backup, maxLen: 1023)), ("backup maxlen 1024", D(SyncDaemonState.Backup, maxLen: 1024)),
            ("port 0", D(port: 0)), ("port 1", D(port: 1)), ("port 65535", D(port: 65535)),
            ("ttl 0", D(ttl: 0)), ("ttl 1", D(ttl: 1)), ("ttl 255", D(ttl: 255)),
            ("group 10.0.0.1 (not multicast)", D(group: "10.0.0.1")), ("group 2001:db8::1 (not multicast)", D(group: "2001:db8::1")),
        };
        foreach (var (name, daemon) in cases)
        {
            // A namespace per case: stopping a daemon right after its start took the loaded UML kernel over 30 s, so
            // each daemon ends with its namespace instead.
            using var ns = new TestNamespace(veth: false);
            ns.Ip("link", "add", "d0", "type", "dummy");
            ns.Ip("link", "set", "d0", "up");
            using var client = IpvsClient.Open(ns.Namespace);
            var op = IpvsOperation.StartSyncDaemon(daemon);
            if (!Check(name, op, bad, client: client))
                continue;
            var read = client.GetSyncDaemons().Single(d => d.State == daemon.State);
            bool same = read.SyncId == daemon.SyncId && (daemon.SyncMaxLength is not { } l || read.SyncMaxLength == l)
                && (daemon.MulticastPort is not { } p || read.MulticastPort == p) && (daemon.MulticastTtl is not { } t || read.MulticastTtl == t);
            _out.WriteLine($"    read back: {read}");
            if (!same && Refusal(op, ValidationLevel.Create) is null)
                bad.Add($"{name}: Create level accepts it, the kernel changed it to {read}");
            // The one Create-only rule that refuses a value the kernel keeps: ipvsadm's 8-bit sync id.
            if (same && Refusal(op, ValidationLevel.Create) is { } id && !name.StartsWith("sync id"))
                bad.Add($"{name}: Create level refuses it ({id}) though the kernel keeps it unchanged");
        }
        Assert.Empty(bad);
    }
}

/// <summary>A mutable helper that builds an <see cref="LvsService"/> for the boundary cases.</summary>
internal sealed class LvsServiceBuilder
{
    public IPAddress Address { get; set; } = IPAddress.Loopback;
    public ushort Port { get; set; }
    public string Scheduler { get; set; } = "rr";
    public ServiceFlags Flags { get; set; }
    public TimeSpan Timeout { get; set; }
    public uint? Netmask { get; set; }

    public void Persistent(TimeSpan timeout)
    {
        Flags |= ServiceFlags.Persistent;
        Timeout = timeout;
    }

    public LvsService Build()
    {
        var family = IpvsNetlink.FamilyOf(Address);
        return new LvsService
        {
            AddressFamily = family, Protocol = IpvsProtocol.Tcp, Address = Address, Port = Port, Scheduler = Scheduler, Flags = Flags,
            PersistenceTimeout = Timeout, PersistenceNetmask = Netmask ?? IpvsadmSyntax.DefaultNetmask(family),
        };
    }
}
