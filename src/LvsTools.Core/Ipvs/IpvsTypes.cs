using System.Net;
using System.Net.Sockets;

namespace LvsTools;

/// <summary>The transport protocol of an address-based virtual service (IPPROTO_*).</summary>
public enum IpvsProtocol : ushort
{
    Tcp = 6, Udp = 17, Sctp = 132,
}

/// <summary>How packets reach a real server (IP_VS_CONN_F_* forwarding methods).</summary>
public enum ForwardingMethod : uint
{
    /// <summary>NAT: ipvsadm -m.</summary>
    Masquerade = 0,
    /// <summary>The real server is on this host (set by old kernels; ipvsadm cannot request it).</summary>
    Local = 1,
    /// <summary>IP-in-IP, GUE or GRE encapsulation: ipvsadm -i.</summary>
    Tunnel = 2,
    /// <summary>Direct routing (gatewaying): ipvsadm -g, ipvsadm's default.</summary>
    Route = 3,
    /// <summary>Cache bypass (kernel-internal).</summary>
    Bypass = 4,
}

/// <summary>The encapsulation of a <see cref="ForwardingMethod.Tunnel"/> real server (IP_VS_CONN_F_TUNNEL_TYPE_*).</summary>
public enum TunnelType : byte
{
    IpIp = 0, Gue = 1, Gre = 2,
}

/// <summary>Checksum handling of a GUE or GRE tunnel (IP_VS_TUNNEL_ENCAP_FLAG_*).</summary>
public enum TunnelChecksum : ushort
{
    None = 0, Checksum = 1, RemoteChecksum = 2,
}

/// <summary>Service flags (IP_VS_SVC_F_*). The kernel reports HASHED on every service in its table.</summary>
[Flags]
public enum ServiceFlags : uint
{
    None = 0, Persistent = 0x1, Hashed = 0x2, OnePacket = 0x4,
    /// <summary>Scheduler flag 1: sh-fallback / mh-fallback (flag-1 for other schedulers).</summary>
    Sched1 = 0x8,
    /// <summary>Scheduler flag 2: sh-port / mh-port (flag-2 for other schedulers).</summary>
    Sched2 = 0x10,
    /// <summary>Scheduler flag 3 (flag-3).</summary>
    Sched3 = 0x20,
}

/// <summary>The IP version of an address.</summary>
internal static class IPFamilies
{
    /// <summary>IPv6 for an IPv6 address, else IPv4.</summary>
    public static IPFamily Of(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? IPFamily.IPv6 : IPFamily.IPv4;
}

/// <summary>The role of a connection synchronisation daemon (IP_VS_STATE_*).</summary>
public enum SyncDaemonState : uint
{
    Master = 1, Backup = 2,
}

/// <summary>
/// Counters and rates of a service or real server. Read from STATS64 (kernel ≥ 4.1, all 64-bit) when the kernel
/// sends it, else from the legacy STATS (counts and rates 32-bit, bytes 64-bit), so nothing wraps at 2^32 where the
/// kernel offers more. The kernel folds its per-CPU counters in about every 2 seconds: fresh traffic shows up late.
/// </summary>
public sealed record IpvsStatistics
{
    /// <summary>Connections scheduled (IPVS_STATS_ATTR_CONNS).</summary>
    public ulong Connections { get; init; }

    /// <summary>Packets from clients (INPKTS) and to clients (OUTPKTS).</summary>
    public ulong InPackets { get; init; }

    /// <inheritdoc cref="InPackets"/>
    public ulong OutPackets { get; init; }

    /// <summary>Bytes from clients (INBYTES) and to clients (OUTBYTES).</summary>
    public ulong InBytes { get; init; }

    /// <inheritdoc cref="InBytes"/>
    public ulong OutBytes { get; init; }

    /// <summary>The rates the kernel estimates every 2 seconds: connections, packets and bytes per second (CPS ... OUTBPS).</summary>
    public ulong ConnectionsPerSecond { get; init; }

    /// <inheritdoc cref="ConnectionsPerSecond"/>
    public ulong InPacketsPerSecond { get; init; }

    /// <inheritdoc cref="ConnectionsPerSecond"/>
    public ulong OutPacketsPerSecond { get; init; }

    /// <inheritdoc cref="ConnectionsPerSecond"/>
    public ulong InBytesPerSecond { get; init; }

    /// <inheritdoc cref="ConnectionsPerSecond"/>
    public ulong OutBytesPerSecond { get; init; }

    /// <summary>All zero (what an object built in code, rather than read from the kernel, carries).</summary>
    public static readonly IpvsStatistics Zero = new();

}

/// <summary>
/// What identifies a virtual service: family plus protocol, address and port, or family plus firewall mark.
/// <see cref="ToString"/> prints it as `ipvsadm -Ln` does ("TCP  10.0.0.1:80", "UDP  [2001:db8::1]:53", "FWM  7").
/// </summary>
public sealed record ServiceKey(IPFamily Family, IpvsProtocol? Protocol, IPAddress? Address, ushort Port, uint FirewallMark)
{
    /// <summary>An address-based service key; the family follows from the address.</summary>
    public static ServiceKey ForAddress(IpvsProtocol protocol, IPAddress address, ushort port) =>
        new(IPFamilies.Of(address), protocol, address, port, 0);

    /// <summary>A firewall-mark service key (ipvsadm -f MARK [-6]).</summary>
    public static ServiceKey ForFirewallMark(uint mark, IPFamily family = IPFamily.IPv4) => new(family, null, null, 0, mark);

    /// <summary>True for a firewall-mark service.</summary>
    public bool IsFirewallMark => FirewallMark != 0;

    /// <summary>The ipvsadm option that names the service: "-t 10.0.0.1:80", "--sctp-service [::1]:80", "-f 7 -6".</summary>
    public string IpvsadmArgument => IpvsadmSyntax.ServiceArgument(this);

    /// <summary>The service as the first column of `ipvsadm -Ln`.</summary>
    public override string ToString() => IpvsadmSyntax.FormatServiceKey(this);
}

/// <summary>
/// A value a record computes from its members and remembers: it takes no part in the record's equality or hash (two
/// records are equal whether or not either has computed it yet), and a record clears it when a member it comes from is set.
/// </summary>
internal struct Remembered<T> : IEquatable<Remembered<T>> where T : class
{
    public T? Value;

    public readonly bool Equals(Remembered<T> other) => true;

    public override readonly bool Equals(object? obj) => obj is Remembered<T>;

    public override readonly int GetHashCode() => 0;
}
