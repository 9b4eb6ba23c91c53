using System.Management.Automation;
using LvsTools.Core.Config;

namespace LvsTools.Internal;

/// <summary>
/// Base of Compare- and Test-LvsConfiguration: reads the document, reads what it manages from the kernel once, and
/// derives the drift from Sync-LvsConfiguration's own plan (<see cref="LvsConfigurationDrift"/>). Read only: nothing is
/// sent but dumps, so no writer lock is taken and there is no -WhatIf.
/// </summary>
public abstract class DriftCommandBase : ConfigurationDocumentCommandBase
{
    protected override string ErrorSubject => "LvsConfiguration";

    /// <summary>Reports one document's drift (every difference, in Sync's plan order, already written as a verbose line each).</summary>
    protected abstract void Report(List<LvsConfigurationDifference> drift);

    protected override void ProcessInNamespace()
    {
        var desired = ReadDocument(out var resolved);
        string name = MyInvocation.MyCommand.Name;
        foreach (var section in desired.UnmanagedSections)
            WriteVerbose($"{name}: {UnmanagedText(section)} is not in the document: not managed, not compared.");
        if (desired.SchemaVersion >= 2)
            WriteVerbose($"{name}: health checks, sorry servers, quorum and drain timeouts are the controller's, not kernel state: not compared (maintenance is, as weight 0).");
        List<LvsConfigurationDifference> drift;
        try
        {
            var current = LvsConfigurationDrift.Read(desired, () => Ipvs, desired.VirtualIps is not null ? Route : null,
                desired.Sysctls is not null ? Sysctl : null);
            drift = LvsConfigurationDrift.Compare(current, desired, desired.VirtualIps is not null ? Route : null, resolved);
        }
        catch (Exception e)
        {
            ThrowLvsError(e, DocumentTarget);
            return;
        }
        foreach (var d in drift)
            d.NetNamespace = ItemNamespace;
        WriteVerbose($"{name}: {drift.Count} difference(s){Where}.");
        foreach (var d in drift)
            WriteVerbose(d.ToString());
        Report(drift);
    }
}
