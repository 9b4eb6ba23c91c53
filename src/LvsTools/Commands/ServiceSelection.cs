using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Base of the cmdlets that act on existing services: a service comes as an object from the pipeline
/// (-InputObject) or is named by -VirtualAddress/-Protocol/-Port or -FirewallMark. An object acts in the
/// namespace it was read from (<see cref="LvsCmdlet.ActIn"/>), whether piped or given by parameter.
/// </summary>
public abstract class ServiceSelectionCommand : LvsCmdlet
{
    /// <summary>Services from Get-LvsService or New-LvsService.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    [ValidateNotNull]
    public LvsService[] InputObject { get; set; } = [];

    /// <summary>The service's virtual IP.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Address")]
    [Alias("IPAddress", "Vip")]
    [ValidateNotNullOrEmpty]
    public string VirtualAddress { get; set; } = "";

    /// <summary>The service's protocol: Tcp (default), Udp or Sctp.</summary>
    [Parameter(ParameterSetName = "Address")]
    public IpvsProtocol Protocol { get; set; } = IpvsProtocol.Tcp;

    /// <summary>The service's virtual port.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Address")]
    public int Port { get; set; }

    /// <summary>The firewall mark of an fwmark service.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "FirewallMark")]
    public long FirewallMark { get; set; }

    /// <summary>The family of the fwmark service: IPv4 (default) or IPv6.</summary>
    [Parameter(ParameterSetName = "FirewallMark")]
    public IPFamily AddressFamily { get; set; } = IPFamily.IPv4;

    protected override string ErrorSubject => "LvsService";

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputObject")
        {
            foreach (var s in InputObject)
                if (ActIn(s.NetNamespace, s, $"Virtual service {s.Key}"))
                    Process(s.Key, s);
            return;
        }
        ActInParameterNamespace();
        ServiceKey key;
        try
        {
            key = IpvsParameters.Key(ParameterSetName == "Address" ? VirtualAddress : null, Protocol, Port,
                ParameterSetName == "FirewallMark" ? FirewallMark : null, AddressFamily);
        }
        catch (Exception e)
        {
            WriteLvsError(e, VirtualAddress);
            return;
        }
        Process(key, null);
    }

    /// <summary>Acts on one service; <paramref name="given"/> is the piped object, if any.</summary>
    protected abstract void Process(ServiceKey key, LvsService? given);

    /// <summary>The service as the kernel has it now, or an ObjectNotFound error (null).</summary>
    protected LvsService? Current(ServiceKey key)
    {
        try
        {
            if (Ipvs.GetService(key) is { } s)
                return s;
            WriteError(new ErrorRecord(new ItemNotFoundException($"Virtual service {key} does not exist{Where}."), "LvsServiceNotFound",
                ErrorCategory.ObjectNotFound, key.ToString()));
        }
        catch (Exception e)
        {
            WriteLvsError(e, key.ToString());
        }
        return null;
    }
}
