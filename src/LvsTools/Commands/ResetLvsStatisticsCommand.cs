using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Zeroes the packet, byte and connection counters of one virtual service and its real servers, or of every service:
/// `ipvsadm -Z [-t|-u|--sctp-service VIP:PORT | -f MARK]`.
/// </summary>
[Cmdlet(VerbsCommon.Reset, "LvsStatistics", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = "All")]
public sealed class ResetLvsStatisticsCommand : LvsCmdlet
{
    /// <summary>Services from Get-LvsService.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    [Alias("Service")]
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

    protected override string ErrorSubject => "LvsStatistics";

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case "All":
                ActInParameterNamespace();
                Zero(null);
                break;
            case "InputObject":
                foreach (var s in InputObject)
                    if (ActIn(s.NetNamespace, s, $"Virtual service {s.Key}"))
                        Zero(s.Key);
                break;
            default:
                ActInParameterNamespace();
                ServiceKey key;
                try
                {
                    key = IpvsParameters.Key(ParameterSetName == "Address" ? VirtualAddress : null, Protocol, Port,
                        ParameterSetName == "FirewallMark" ? FirewallMark : null, AddressFamily);
                }
                catch (Exception e)
                {
                    WriteLvsError(e, ParameterSetName == "Address" ? VirtualAddress : FirewallMark);
                    return;
                }
                Zero(key);
                break;
        }
    }

    private void Zero(ServiceKey? key)
    {
        try
        {
            ShouldExecute(IpvsOperation.Zero(key));
        }
        catch (Exception e)
        {
            WriteLvsError(key is null ? e : IpvsParameters.Contextualize(e, key), key?.ToString() ?? "IPVS table");
        }
    }
}
