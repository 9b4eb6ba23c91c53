using System.Management.Automation;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>
/// Base of Remove-LvsService and Reset-LvsStatistics: a service comes as an object from the pipeline (-InputObject)
/// or is named by the key parameters of <see cref="ServiceCommandBase"/>. (Set-LvsService takes the same, beside the
/// settings of <see cref="ServiceSettingsCommandBase"/>.)
/// </summary>
public abstract class ServiceSelectionCommandBase : ServiceCommandBase
{
    /// <summary>Services from Get-LvsService or New-LvsService.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public LvsService[] InputObject { get; set; } = [];

    protected override void ProcessInNamespace() => ForEachService(InputObject, Process);

    /// <summary>Acts on one service; <paramref name="given"/> is the piped object, if any.</summary>
    protected abstract void Process(ServiceKey key, LvsService? given);
}
