using System.Management.Automation;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Base of the cmdlets that name one virtual service by its key (New-, Set-, Remove-LvsService, Reset-LvsStatistics):
/// -VirtualAddress -Protocol -Port (parameter set "Address"), or -FirewallMark -AddressFamily. The keys bind by property
/// name too, so rows of a CSV file or objects with an IPAddress (Add-LvsVirtualIp) name services without glue.
/// </summary>
public abstract class ServiceCommandBase : ServiceKeyCommandBase
{
    /// <summary>The parameter set of a service named by address, protocol and port.</summary>
    protected const string AddressSet = "Address";

    /// <summary>The parameter set of services given as objects (-InputObject, declared by the cmdlets that take them).</summary>
    protected const string InputObjectSet = "InputObject";

    /// <summary>The service's virtual IP. Binds the IPAddress of a NetAlias from Add-LvsVirtualIp.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = AddressSet, ValueFromPipelineByPropertyName = true)]
    [Alias("IPAddress", "Vip")]
    [ValidateNotNullOrEmpty]
    public string VirtualAddress { get; set; } = "";

    /// <summary>The service's protocol: Tcp (default), Udp or Sctp.</summary>
    [Parameter(ParameterSetName = AddressSet, ValueFromPipelineByPropertyName = true)]
    public IpvsProtocol Protocol { get; set; } = IpvsProtocol.Tcp;

    /// <summary>The service's virtual port; 0 (all ports) only for a persistent service.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = AddressSet, ValueFromPipelineByPropertyName = true)]
    public int Port { get; set; }

    /// <summary>The service the key parameters name.</summary>
    /// <exception cref="LvsException">InvalidIPAddress, InvalidPort, InvalidFirewallMark.</exception>
    protected ServiceKey ParameterKey() => KeyFromParameters(VirtualAddress, Protocol, Port);

    /// <summary>The value an error about the key parameters names: the address, or the mark.</summary>
    protected object KeyTarget => ParameterSetName == FirewallMarkSet ? FirewallMark : VirtualAddress;

    protected override string ErrorSubject => "LvsService";

    /// <summary>
    /// Acts on each service given: in parameter set InputObject on each object, in the namespace it was read from
    /// (<see cref="LvsCommandBase.ActIn"/>); otherwise on the one service the key parameters name.
    /// </summary>
    /// <param name="objects">The -InputObject services.</param>
    /// <param name="process">Acts on one service; its second argument is the piped object, if any.</param>
    protected void ForEachService(LvsService[] objects, Action<ServiceKey, LvsService?> process)
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var s in objects)
                if (ActIn(s.NetNamespace, s, $"Virtual service {s.Key}"))
                    process(s.Key, s);
            return;
        }
        ActInParameterNamespace();
        if (TryParameterKey() is { } key)
            process(key, null);
    }

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

    /// <summary>The key the parameters name, or null after writing the error that says why not.</summary>
    protected ServiceKey? TryParameterKey()
    {
        try
        {
            return ParameterKey();
        }
        catch (Exception e)
        {
            WriteLvsError(e, KeyTarget);
            return null;
        }
    }
}
