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
public sealed class ResetLvsStatisticsCommand : ServiceSelectionCommandBase
{
    /// <summary>Services from Get-LvsService (also -Service here).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [Alias("Service")]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public new LvsService[] InputObject { get => base.InputObject; set => base.InputObject = value; }

    protected override string ErrorSubject => "LvsStatistics";

    protected override void ProcessInNamespace()
    {
        if (ParameterSetName != "All")
        {
            base.ProcessInNamespace();
            return;
        }
        ActInParameterNamespace();
        Zero(null);
    }

    protected override void Process(ServiceKey key, LvsService? given) => Zero(key);

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
