using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Deletes every virtual service and real server of the table: `ipvsadm -C`.</summary>
[Cmdlet(VerbsCommon.Clear, "LvsService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class ClearLvsServiceCommand : LvsCommandBase
{
    protected override string ErrorSubject => "LvsService";

    protected override void ProcessInNamespace() => ForNamespace(() => ShouldExecute(IpvsOperation.Flush()), terminating: true);
}
