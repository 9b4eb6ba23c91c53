using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// The first two columns of `ipvsadm -Ln` for a service, used by every service view (LvsTools.Ipvs.format.ps1xml):
/// "TCP" "10.0.0.1:80", "SCTP" "[2001:db8::1]:80", "FWM" "7", "FWM" "7 IPv6". Public because the views call it.
/// </summary>
public static class ServiceColumns
{
    /// <summary>"TCP", "UDP", "SCTP", or "FWM" for a firewall-mark service.</summary>
    public static string Protocol(ServiceKey key) => IpvsadmSyntax.ProtocolName(key.IsFirewallMark ? null : key.Protocol);

    /// <summary>The virtual address and port, or the mark with " IPv6" for an IPv6 firewall-mark service (as ipvsadm -Ln).</summary>
    public static string Address(ServiceKey key) => key.IsFirewallMark
        ? key.FirewallMark + (key.Family == IPFamily.IPv6 ? " IPv6" : "")
        : IpvsadmSyntax.FormatEndpoint(key.Address, key.Port);
}
