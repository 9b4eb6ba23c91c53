using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Reads the IPVS connection timeouts: `ipvsadm -L --timeout`.</summary>
[Cmdlet(VerbsCommon.Get, "LvsTimeout")]
[OutputType(typeof(LvsTimeouts))]
public sealed class GetLvsTimeoutCommand : LvsCommandBase
{
    protected override string ErrorSubject => "LvsTimeout";

    protected override void ProcessInNamespace() => ForNamespace(() => WriteObject(Ipvs.GetTimeouts()));
}
