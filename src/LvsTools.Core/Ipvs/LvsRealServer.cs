using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>
/// A real server (a "destination" to the kernel): the `-> 10.0.1.11:8080 Masq 3 0 0` lines of `ipvsadm -Ln`.
/// A plain immutable record; the IPVS codec (LvsTools.Core.Ipvs.IpvsCodec) reads and writes its wire form.
/// </summary>
public sealed record LvsRealServer
{
    private IPFamily? _family;

    /// <summary>The virtual service the real server belongs to.</summary>
    public required ServiceKey Service { get; init; }

    /// <summary>The real server's address.</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The real server's port. For Route and Tunnel it must equal the service's port (ipvsadm forces it).</summary>
    public ushort Port { get; init; }

    /// <summary>
    /// IPv4 or IPv6. Read from IPVS_DEST_ATTR_ADDR_FAMILY; kernels before 3.18 do not send it and then the real server
    /// has the service's family (mixed families did not exist before). Built in code it follows from <see cref="Address"/>.
    /// </summary>
    public IPFamily AddressFamily
    {
        get => _family ?? IPFamilies.Of(Address);
        init => _family = value;
    }

    /// <summary>Masquerade (-m), Route (-g, ipvsadm's default) or Tunnel (-i).</summary>
    public ForwardingMethod ForwardingMethod { get; init; } = ForwardingMethod.Route;

    /// <summary>The relative capacity; 0 quiesces the server (no new connections). ipvsadm's default is 1.</summary>
    public int Weight { get; init; } = 1;

    /// <summary>Upper connection threshold (ipvsadm -x); 0 = none.</summary>
    public uint UpperThreshold { get; init; }

    /// <summary>Lower connection threshold (ipvsadm -y); 0 = 3/4 of the upper one.</summary>
    public uint LowerThreshold { get; init; }

    /// <summary>Active connections (read only).</summary>
    public uint ActiveConnections { get; init; }

    /// <summary>Inactive connections (read only).</summary>
    public uint InactiveConnections { get; init; }

    /// <summary>Persistence templates pointing at this server (read only).</summary>
    public uint PersistentConnections { get; init; }

    /// <summary>The encapsulation; null unless forwarding is Tunnel (ipvsadm's default there is ipip).</summary>
    public TunnelType? TunnelType { get; init; }

    /// <summary>The GUE destination port; null unless forwarding is Tunnel with GUE (the kernel reports 0 for ipip and GRE).</summary>
    public ushort? TunnelPort { get; init; }

    /// <summary>GUE/GRE checksum mode; null unless forwarding is Tunnel.</summary>
    public TunnelChecksum? TunnelChecksum { get; init; }

    /// <summary>Counters and rates (zero for a real server built in code).</summary>
    public IpvsStatistics Statistics { get; init; } = IpvsStatistics.Zero;

    /// <summary>The network namespace the real server was read from (null: the current one).</summary>
    public string? NetNamespace { get; init; }

    /// <summary>Attributes this version does not know, kept as read so that nothing is lost.</summary>
    public IReadOnlyList<UnknownAttribute> UnknownAttributes { get; init; } = [];

    /// <summary>True when the kernel sent IPVS_DEST_ATTR_ADDR_FAMILY (kernel ≥ 3.18).</summary>
    internal bool AddressFamilyReported { get; init; }

    /// <summary>True when the kernel sent IPVS_DEST_ATTR_STATS64 (kernel ≥ 4.1).</summary>
    internal bool HasStatistics64 { get; init; }

    /// <summary>"10.0.1.11:8080" or "[2001:db8::5]:80".</summary>
    public string Endpoint => IpvsadmSyntax.FormatEndpoint(Address, Port);

    /// <summary>The real server as a line of `ipvsadm -Ln`.</summary>
    public override string ToString() => IpvsadmSyntax.FormatRealServer(this);
}
