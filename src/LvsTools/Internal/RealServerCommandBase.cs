using System.Management.Automation;
using System.Net;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Base of the real-server cmdlets: the service comes as an LvsService from the pipeline (-Service) or is named by
/// -VirtualAddress/-Protocol/-VirtualPort (-Port is the real server's) or -FirewallMark/-AddressFamily
/// (<see cref="ServiceKeyCommandBase"/>).
/// </summary>
public abstract class RealServerCommandBase : ServiceKeyCommandBase
{
    /// <summary>The virtual service, from Get-LvsService or New-LvsService.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Service")]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public LvsService? Service { get; set; }

    /// <summary>The virtual IP of the service.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "VirtualAddress")]
    [Alias("Vip")]
    [ValidateNotNullOrEmpty]
    public string VirtualAddress { get; set; } = "";

    /// <summary>The protocol of the service: Tcp (default), Udp or Sctp.</summary>
    [Parameter(ParameterSetName = "VirtualAddress")]
    public IpvsProtocol Protocol { get; set; } = IpvsProtocol.Tcp;

    /// <summary>The virtual port of the service.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "VirtualAddress")]
    public int VirtualPort { get; set; }

    protected override string ErrorSubject => "LvsRealServer";

    /// <summary>
    /// Makes what follows act where the service comes from: a service given by -Service acts in the namespace it
    /// was read from (NetNamespaceMismatch when -NetNamespace names another; false then, and the item is skipped),
    /// key parameters in -NetNamespace's.
    /// </summary>
    protected bool ActInServiceNamespace()
    {
        if (ParameterSetName == "Service")
            return ActIn(Service!.NetNamespace, Service, $"Virtual service {Service.Key}");
        ActInParameterNamespace();
        return true;
    }

    /// <summary>The service key the parameters name (the piped service's, or the one built from key parameters).</summary>
    protected ServiceKey SelectedService() => ParameterSetName switch
    {
        "Service" => Service!.Key,
        _ => KeyFromParameters(VirtualAddress, Protocol, VirtualPort),
    };

    /// <summary>
    /// Parses "10.0.1.11", "10.0.1.11:8080", "[2001:db8::1]:80" or "2001:db8::1": the address and, when given, the port.
    /// </summary>
    protected static (IPAddress Address, ushort? Port) Endpoint(string text) => IpvsadmSyntax.ParseEndpoint(text);

    /// <summary>
    /// The real server's port: the -Port value, the port in the address, or the service's port (as ipvsadm). A port
    /// given both ways must be the same: "-Address 10.0.1.11:8080 -Port 9090" is a ConflictingPort error, not a guess.
    /// </summary>
    /// <exception cref="LvsException">InvalidPort, ConflictingPort.</exception>
    protected static ushort PortFor(int? portParameter, ushort? fromAddress, ServiceKey service) =>
        SamePort(portParameter, fromAddress) ?? service.Port;

    /// <summary>The port given by -Port or in -Address (null: neither); both must agree.</summary>
    /// <exception cref="LvsException">InvalidPort, ConflictingPort.</exception>
    protected static ushort? SamePort(int? portParameter, ushort? fromAddress)
    {
        if (portParameter is not { } p)
            return fromAddress;
        ushort port = IpvsParameters.Port(p, "InvalidPort");
        if (fromAddress is { } a && a != port)
            throw LvsException.Invalid("ConflictingPort",
                $"The port is given twice and differently: {a} in -Address and {port} in -Port. Give it once.", $"{a} / {port}");
        return port;
    }
}
