using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Removes real servers from their virtual service: `ipvsadm -d`.</summary>
[Cmdlet(VerbsCommon.Remove, "LvsRealServer", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject", ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LvsRealServer))]
public sealed class RemoveLvsRealServerCommand : RealServerChangeCommandBase
{
    protected override void Process(ServiceKey service, LvsRealServer server)
    {
        try
        {
            if (!ShouldExecute(IpvsOperation.DeleteRealServer(service, server.Address, server.Port)))
                return;
            if (PassThru)
                WriteObject(server);
        }
        catch (Exception e)
        {
            WriteLvsError(IpvsParameters.Contextualize(e, service, server.Endpoint), server.Endpoint);
        }
    }
}
