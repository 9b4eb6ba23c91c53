using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Config;

namespace LvsTools.Internal;

/// <summary>
/// Base of Import- and Sync-LvsConfiguration: reads the document (-Path or a piped document), reads the kernel once,
/// plans, asks ShouldProcess per step (so -WhatIf prints the plan, each step with its exact operation), applies the
/// approved steps in bulk with progress, and reports every failed step as an error naming it.
/// </summary>
public abstract partial class ConfigurationCommandBase : ConfigurationDocumentCommandBase
{
    /// <summary>
    /// With -NetNamespace: also apply the document's host-wide sysctls (kernel.*, vm.*, net.core.rmem_max ...), knowing
    /// that they change the whole host. Without it such a document is refused (SysctlNotNamespaced) before any change.
    /// </summary>
    [Parameter]
    public SwitchParameter HostWide { get; set; }

    protected override bool HostWideSysctl => HostWide;

    protected override string ErrorSubject => "LvsConfiguration";

    /// <summary>Sync deletes what the document lacks; Import does not.</summary>
    protected abstract bool Prune { get; }

    protected abstract string Activity { get; }

    protected override void ProcessInNamespace()
    {
        List<LvsPlanStep> plan;
        LvsKernelState current;
        // The whole document is checked before the first request; the services and real servers the check builds are
        // what the plan compares.
        var desired = ReadDocument(out var resolved);
        ShowUnmanaged(desired);
        try
        {
            // Concurrent writers: the lock first, THEN the read, the plan and the apply; released in ReleaseLock.
            _held = this.LockUnlessWhatIf(Namespace, Cancellation);
            // One read of the kernel (its requests are counted there), then the plan compares model records.
            // The document's own sysctls are read too (not only the dependent ones): one it lists is no change when it has its value.
            current = LvsKernelState.ReadFor(Ipvs,
                desired.VirtualIps is not null ? Route : null,
                desired.Sysctls is not null ? Sysctl : null,
                desired.Sysctls?.Select(s => s.Name));
            plan = LvsConfigurationSync.Plan(current, desired, Prune, desired.VirtualIps is not null ? Route : null, resolved);
            LvsConfigurationSync.CheckSysctlScope(plan, Sysctl);
        }
        catch (Exception e)
        {
            ReleaseLock();
            ThrowLvsError(e, InputObject is null ? Path : ItemNamespace);
            return;
        }
        foreach (var step in plan)
            step.NetNamespace = ItemNamespace;
        // -WhatIf and -Confirm go step by step (the plan, each step with its exact operation); an ordinary run asks
        // once for the whole plan rather than 50,000 times.
        bool stepwise = MyInvocation.BoundParameters.ContainsKey("WhatIf") || MyInvocation.BoundParameters.ContainsKey("Confirm")
            || (SessionState.PSVariable.GetValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true);
        var approved = stepwise
            ? plan.Where(s => ShouldProcess(s.Target + (LvsConfigurationSync.IsHostWide(s) ? " (host-wide)" : Where), Describe(s, current))).ToList()
            : plan.Count == 0 || ShouldProcess($"IPVS table{Where}", $"{plan.Count} changes ({Summary(plan)})") ? plan : [];
        LvsApplyResult result;
        if (approved.Count == 0)
        {
            result = new LvsApplyResult
            {
                Steps = plan, NetNamespace = ItemNamespace, RequestsSent = current.RequestsSent,
                ManagedSections = desired.ManagedSections, UnmanagedSections = desired.UnmanagedSections,
            };
        }
        else
        {
            var progress = new ProgressRecord(1, Activity, $"{approved.Count} changes");
            long last = 0;
            var deferred = Deferred(approved);
            var applied = LvsConfigurationSync.Apply(deferred.Count == 0 ? approved : approved.Except(deferred).ToList(), Ipvs, desired.VirtualIps is not null ? Route : null,
                desired.Sysctls is not null ? Sysctl : null,
                (done, total) =>
                {
                    if (Environment.TickCount64 - last < 200 && done < total)
                        return;
                    last = Environment.TickCount64;
                    progress.PercentComplete = (int)(100L * done / Math.Max(1, total));
                    progress.StatusDescription = $"{done} of {total} changes sent";
                    WriteProgress(progress);
                }, Cancellation, current.RequestsSent);
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            var drained = DrainRemovals is null ? default : Drain(deferred, current, desired, applied.Cancelled);
            result = new LvsApplyResult
            {
                Steps = plan, Cancelled = applied.Cancelled || drained.Stopped, RequestsSent = applied.RequestsSent + drained.Requests,
                WritesSent = applied.WritesSent + drained.Writes, Elapsed = applied.Elapsed + drained.Elapsed, NetNamespace = ItemNamespace,
                ManagedSections = desired.ManagedSections, UnmanagedSections = desired.UnmanagedSections,
            };
            foreach (var failed in approved.Where(s => s.Status == LvsPlanStatus.Failed))
                WriteError(ErrorMapper.ToRecord(failed.Exception ?? new LvsException(LvsErrorKind.OperationFailed, "", failed.Error ?? "failed"),
                    failed.Object == LvsPlanObject.RealServer ? "LvsRealServer" : failed.Object == LvsPlanObject.Service ? "LvsService" : ErrorSubject,
                    failed));
        }
        ReleaseLock();
        WriteVerbose($"{Activity}: {plan.Count} changes planned; {result}; {result.RequestsSent} netlink requests, {result.WritesSent} of them writes.");
        WriteObject(result);
    }

    private WriterLock? _held;

    private void ReleaseLock()
    {
        _held?.Dispose();
        _held = null;
    }

    protected override void DisposeClients() => ReleaseLock();

    private static string Summary(List<LvsPlanStep> plan) =>
        string.Join(", ", plan.GroupBy(p => (p.Action, p.Object)).Select(g => $"{g.Key.Action} {g.Count()} {g.Key.Object}"));

    /// <summary>
    /// Says which sections the document leaves out and so leaves alone: a verbose line each, and under -WhatIf a
    /// "What if" line each, so that a dry run shows what will not be touched as well as what will.
    /// </summary>
    private void ShowUnmanaged(LvsConfigurationDocument desired)
    {
        bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? w is SwitchParameter { IsPresent: true }
            : SessionState.PSVariable.GetValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true;
        foreach (var section in desired.UnmanagedSections)
        {
            string line = $"{Activity}: {UnmanagedText(section)} is not in the document: not managed, left as it is{Where}.";
            WriteVerbose(line);
            if (whatIf)
                ShouldProcess(line, line, "What if");
        }
    }
}
