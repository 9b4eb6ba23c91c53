using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Changes a virtual service: `ipvsadm -E`. Only the settings given change; the rest are read from the kernel
/// first and written back as they were (unlike a delete and re-add, connections and real servers stay).
/// </summary>
[Cmdlet(VerbsCommon.Set, "LvsService", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject")]
[OutputType(typeof(LvsService))]
public sealed class SetLvsServiceCommand : ServiceSettingsCommandBase
{
    /// <summary>Services from Get-LvsService or New-LvsService.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public LvsService[] InputObject { get; set; } = [];

    /// <summary>The new scheduler.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(IpvsParameters.SchedulerCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Scheduler { get; set; }

    /// <summary>Write the service, as read back after the change, to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessInNamespace() => ForEachService(InputObject, Change);

    private void Change(ServiceKey key, LvsService? given)
    {
        // Read, merge and write under the namespace's lock: a concurrent Set of other settings is not undone.
        IDisposable held;
        try { held = this.HoldUnlessWhatIf(Namespace, Cancellation); }
        catch (Exception e) { WriteLvsError(e, key.ToString()); return; }
        using var _ = held;
        if (Current(key) is not { } current)
            return;
        try
        {
            var bound = MyInvocation.BoundParameters;
            var changed = ServiceSettings.Change(current,
                scheduler: Scheduler,
                schedulerFlags: SchedulerFlag,
                persistent: bound.ContainsKey(nameof(Persistent)) ? Persistent.IsPresent : null,
                timeout: PersistenceTimeout,
                netmask: PersistenceNetmask,
                engine: PersistenceEngine,
                onePacket: bound.ContainsKey(nameof(OnePacket)) ? OnePacket.IsPresent : null);
            // What the kernel holds is kept as it is (a foreign service may be outside ipvsadm's rules); only what this
            // call changes is held to them.
            IpvsValidation.ServiceChange(current, changed);
            if (!ShouldExecute(IpvsOperation.EditService(changed) with { Validation = ValidationLevel.Kernel }))
                return;
            if (PassThru && Ipvs.GetService(key) is { } after)
            {
                held.Dispose();
                WriteObject(after);
            }
        }
        catch (Exception e)
        {
            WriteLvsError(IpvsParameters.Contextualize(e, key), key.ToString());
        }
    }
}
