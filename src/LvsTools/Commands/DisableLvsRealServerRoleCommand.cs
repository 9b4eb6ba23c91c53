using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Role;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Undoes what Enable-LvsRealServerRole changed in a namespace, and only that: the VIPs it added go, the sysctls it
/// wrote get their old values back (unless someone changed them since), the sysctl.d lines it wrote are put back.
/// </summary>
[Cmdlet(VerbsLifecycle.Disable, "LvsRealServerRole", SupportsShouldProcess = true)]
[OutputType(typeof(RealServerRoleResult))]
public sealed class DisableLvsRealServerRoleCommand : RealServerRoleCommandBase
{
    protected override void ProcessInNamespace()
    {
        RealServerRoleHost host;
        RealServerRoleRecord? record;
        List<RealServerRoleStep> undo;
        try
        {
            host = RoleHost();
            record = States.Load(Namespace);
            if (record is null)
            {
                WriteWarning($"Enable-LvsRealServerRole recorded nothing to undo in {(Namespace.IsCurrent ? "the current network namespace" : $"network namespace '{Namespace.Name}'")}: nothing is changed.");
                return;
            }
            undo = RealServerRolePlanner.PlanUndo(record.Steps, host.Read());
        }
        catch (Exception e)
        {
            WriteLvsError(e, ItemNamespace);
            return;
        }
        StepOutcome outcome;
        try
        {
            using (WriterLock.ForNamespace(Namespace, cancellation: Cancellation))
            {
                outcome = TakeSteps(undo, step => { host.Undo(step); return step; }, step => States.Save(Namespace, record = record with
                {
                    Steps = record.Steps.Where(s => !(s.Kind == step.Kind && s.Target == step.Target)).ToList(),
                }));
                bool filePutBack = record.Persisted.Count == 0 || record.PersistPath is null || RestoreFile(record.PersistPath, record.Persisted);
                if (!WhatIfSeen)
                {
                    // What the user declined (-Confirm) stays recorded for another run; the rest is done or left alone for good.
                    var left = record.Steps.Where(s => outcome.Declined.Any(d => d.Kind == s.Kind && d.Target == s.Target)).ToList();
                    States.Save(Namespace, record with { Steps = left, Persisted = filePutBack ? [] : record.Persisted });
                }
            }
        }
        catch (Exception e)
        {
            WriteLvsError(e, ItemNamespace);
            return;
        }
        WriteOutcome("Disable", record.Mode, record.VirtualAddress, record.Interface, outcome, record.PersistPath);
    }

    // The sysctl.d lines Enable -Persist wrote: removed when the file had none before, else given their old value back.
    private bool RestoreFile(string path, IReadOnlyList<PersistedSysctl> lines)
    {
        if (!ShouldTake(path, $"put back {string.Join(", ", lines.Select(l => l.Previous is null ? $"(remove {l.Name})" : $"{l.Name} = {l.Previous}"))} in {path}"))
            return false;
        SysctlPersistence.Remove(path, lines.Where(l => l.Previous is null).Select(l => SysctlName.Parse(l.Name)));
        var keep = lines.Where(l => l.Previous is not null).Select(l => (SysctlName.Parse(l.Name), l.Previous!)).ToList();
        if (keep.Count > 0)
            SysctlPersistence.Save(path, keep);
        return true;
    }
}
