using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Deletes virtual services with their real servers: `ipvsadm -D`.</summary>
[Cmdlet(VerbsCommon.Remove, "LvsService", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject", ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LvsService))]
public sealed class RemoveLvsServiceCommand : ServiceSelectionCommandBase
{
    /// <summary>Write the removed services to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process(ServiceKey key, LvsService? given)
    {
        try
        {
            var removed = PassThru ? given ?? Ipvs.GetService(key) : null;
            if (!ShouldExecute(IpvsOperation.DeleteService(key)))
                return;
            if (removed is not null)
                WriteObject(removed);
        }
        catch (Exception e)
        {
            WriteLvsError(IpvsParameters.Contextualize(e, key), key.ToString());
        }
    }
}
