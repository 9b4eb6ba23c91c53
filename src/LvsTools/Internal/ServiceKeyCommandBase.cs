using System.Management.Automation;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Base of every cmdlet that names a virtual service by parameters: the firewall-mark half of the key
/// (-FirewallMark, -AddressFamily in parameter set "FirewallMark"), declared here once, and the key built from
/// either half. The address half is declared by <see cref="ServiceCommandBase"/> (-VirtualAddress -Protocol -Port)
/// and by <see cref="RealServerCommandBase"/> (-VirtualAddress -Protocol -VirtualPort, where -Port is the real server's).
/// </summary>
public abstract class ServiceKeyCommandBase : LvsCommandBase
{
    /// <summary>The parameter set of a service named by its firewall mark.</summary>
    protected const string FirewallMarkSet = "FirewallMark";

    /// <summary>The firewall mark of an fwmark service (ipvsadm -f).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FirewallMarkSet)]
    public long FirewallMark { get; set; }

    /// <summary>The family of the fwmark service (ipvsadm -6): IPv4 (default) or IPv6; an address service takes it from the address.</summary>
    [Parameter(ParameterSetName = FirewallMarkSet)]
    public IPFamily AddressFamily { get; set; } = IPFamily.IPv4;

    /// <summary>The service key of -FirewallMark/-AddressFamily, or of the address half given here.</summary>
    /// <exception cref="LvsException">InvalidIPAddress, InvalidPort, InvalidFirewallMark.</exception>
    protected ServiceKey KeyFromParameters(string virtualAddress, IpvsProtocol protocol, int port) =>
        ParameterSetName == FirewallMarkSet
            ? IpvsParameters.Key(null, IpvsProtocol.Tcp, 0, FirewallMark, AddressFamily)
            : IpvsParameters.Key(virtualAddress, protocol, port, null, IPFamily.IPv4);
}
