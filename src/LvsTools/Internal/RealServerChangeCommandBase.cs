using System.Management.Automation;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Base of Set- and Remove-LvsRealServer: a real server comes from the pipeline (-InputObject) or is named by its
/// service and -Address (and -Port).
/// </summary>
public abstract class RealServerChangeCommandBase : RealServerCommandBase
{
    /// <summary>Real servers from Get-LvsRealServer or Add-LvsRealServer.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public LvsRealServer[] InputObject { get; set; } = [];

    /// <summary>The real server's address (with the service given by -Service, -VirtualAddress or -FirewallMark).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Service")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "VirtualAddress")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "FirewallMark")]
    [Alias("RealServer")]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>The real server's port. Default: the port in -Address, else the service's port.</summary>
    [Parameter(ParameterSetName = "Service")]
    [Parameter(ParameterSetName = "VirtualAddress")]
    [Parameter(ParameterSetName = "FirewallMark")]
    public int? Port { get; set; }

    /// <summary>Write each real server to the pipeline: as read back after a change (Set), or as it was before removal (Remove).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessInNamespace()
    {
        if (ParameterSetName == "InputObject")
        {
            foreach (var r in InputObject)
                if (ActIn(r.NetNamespace, r, $"Real server {r.Endpoint} of virtual service {r.Service}"))
                    Process(r.Service, r);
            return;
        }
        if (!ActInServiceNamespace())
            return;
        ServiceKey service;
        LvsRealServer? current;
        try
        {
            service = SelectedService();
            var (ip, port) = Endpoint(Address);
            ushort p = PortFor(Port, port, service);
            current = Ipvs.GetRealServers(service).FirstOrDefault(r => r.Address.Equals(ip) && r.Port == p);
            if (current is null)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"Real server {IpvsadmSyntax.FormatEndpoint(ip, p)} is not in virtual service {service}{Where}."),
                    "LvsRealServerNotFound", ErrorCategory.ObjectNotFound, Address));
                return;
            }
        }
        catch (Exception e)
        {
            WriteLvsError(ParameterSetName == "InputObject" ? e : Contextualized(e), Address);
            return;
        }
        Process(service, current);
    }

    private Exception Contextualized(Exception e)
    {
        try { return IpvsParameters.Contextualize(e, SelectedService(), Address); }
        catch (Exception) { return e; }
    }

    /// <summary>Acts on one real server, as read from the kernel or piped in.</summary>
    protected abstract void Process(ServiceKey service, LvsRealServer server);
}
