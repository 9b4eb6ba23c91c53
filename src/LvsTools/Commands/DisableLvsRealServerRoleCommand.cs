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
    protected override void ProcessRecord()
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
            WriteLvsError(e, NetNamespace);
            return;
        }
        var changed = new List<RealServerRoleStep>();
        var unchanged = new List<RealServerRoleStep>();
        var declined = new List<RealServerRoleStep>();
        try
        {
            using (WriterLock.ForNamespace(Namespace, cancellation: Cancellation))
            {
                foreach (var step in undo)
                {
                    if (step.AlreadySet)
                        unchanged.Add(step);
                    else if (ShouldTake(step.Target + Where, step.Command))
                    {
                        host.Undo(step);
                        changed.Add(step);
                        States.Save(Namespace, record = record with { Steps = record.Steps.Where(s => !(s.Kind == step.Kind && s.Target == step.Target)).ToList() });
                    }
                    else
                        declined.Add(step);
                }
                bool filePutBack = record.Persisted.Count == 0 || record.PersistPath is null || RestoreFile(record.PersistPath, record.Persisted);
                if (!WhatIfSeen)
                {
                    var left = record.Steps.Where(s => declined.Any(d => d.Kind == s.Kind && d.Target == s.Target)).ToList();
                    States.Save(Namespace, record with { Steps = left, Persisted = filePutBack ? [] : record.Persisted });
                }
            }
        }
        catch (Exception e)
        {
            WriteLvsError(e, NetNamespace);
            return;
        }
        if (WhatIfSeen)
            return;
        WriteObject(new RealServerRoleResult
        {
            Action = "Disable", Mode = record.Mode, VirtualAddress = record.VirtualAddress, Interface = record.Interface,
            Changed = changed, Unchanged = unchanged, PersistPath = record.PersistPath, NetNamespace = ItemNamespace,
        });
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
