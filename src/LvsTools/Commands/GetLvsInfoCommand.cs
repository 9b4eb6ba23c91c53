using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Reads the IPVS version and connection table size (the `IP Virtual Server version 1.2.1 (size=4096)` header of
/// `ipvsadm -L`), the kernel release and its schedulers; with -Capabilities, what this kernel's IPVS offers.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LvsInfo")]
[OutputType(typeof(LvsInfo))]
[OutputType(typeof(IpvsCapabilities))]
public sealed class GetLvsInfoCommand : LvsCommandBase
{
    /// <summary>Return an IpvsCapabilities object: loaded and available schedulers and persistence engines, 64-bit statistics, real-server families.</summary>
    [Parameter]
    public SwitchParameter Capabilities { get; set; }

    protected override string ErrorSubject => "LvsInfo";

    protected override void ProcessInNamespace() => ForNamespace(() => WriteObject(Capabilities ? Ipvs.Probe() : Ipvs.GetInfo()));
}
