using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>Sync-LvsConfiguration -Drain: how long, how often, and whether UDP servers wait.</summary>
public sealed record DrainOptions(TimeSpan Timeout, TimeSpan PollInterval, bool WaitForUdp);

// The drain phase of a configuration run: the plan is applied without the deletes of real servers, then those servers
// are drained (weight 0, wait, delete) instead of deleted at once.
public abstract partial class ConfigurationCommandBase
{
    /// <summary>Sync's -Drain (null: real servers the document removes are deleted at once).</summary>
    protected virtual DrainOptions? DrainRemovals => null;

    /// <summary>The approved steps the drain phase takes over: the deletes of real servers (none without -Drain).</summary>
    private List<LvsPlanStep> Deferred(List<LvsPlanStep> approved) => DrainRemovals is null ? []
        : approved.Where(s => s.IpvsRequest is IpvsOperation.RealServerDelete).ToList();

    /// <summary>What -WhatIf and -Confirm say of a step: a deferred delete is a drain, its three steps named.</summary>
    private string Describe(LvsPlanStep step, LvsKernelState current) =>
        DrainRemovals is { } d && step.IpvsRequest is IpvsOperation.RealServerDelete del
        && current.Services.TryGetValue(del.Key, out var service) && service.RealServers.TryGetValue((del.Address, del.Port), out var server)
            ? $"Drain: {RealServerDrain.QuiesceOperation(server).Describe()}; wait up to {d.Timeout} (or the service's drainTimeout) " +
              $"for its connections to end; {del.Describe()}"
            : step.Operation;

    private readonly record struct DrainOutcome(bool Stopped, long Writes, long Requests, TimeSpan Elapsed);

    /// <summary>
    /// Drains the servers of <paramref name="steps"/> together: weight 0 on all, then one wait for all; each step ends
    /// Applied (deleted, by the drain or by someone else), Failed, or NotRun (left at weight 0 by Ctrl+C, or never
    /// started because the run was cancelled before). The namespace's writer lock is released before the wait.
    /// </summary>
    private DrainOutcome Drain(List<LvsPlanStep> steps, LvsKernelState current, LvsConfigurationDocument desired, bool cancelled)
    {
        ReleaseLock();
        var options = DrainRemovals!;
        if (steps.Count == 0 || cancelled)
        {
            foreach (var s in steps)
                s.Status = LvsPlanStatus.NotRun;
            return new DrainOutcome(cancelled, 0, 0, TimeSpan.Zero);
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long before = Ipvs.Connection.RequestsSent, writes = 0;
        var timeouts = new Dictionary<ServiceKey, TimeSpan>();
        foreach (var entry in desired.Services ?? [])
            if (entry.DrainTimeout is { } t)
                timeouts[entry.ToService().Key] = t;
        var settings = DrainKernelSettings.Read(Sysctl);
        var runner = new DrainRunner();
        foreach (var step in steps)
        {
            var op = (IpvsOperation.RealServerDelete)step.IpvsRequest!;
            if (!current.Services.TryGetValue(op.Key, out var service) || !service.RealServers.TryGetValue((op.Address, op.Port), out var server))
            {
                step.Status = LvsPlanStatus.Applied; // not in the table that was read: nothing to drain
                continue;
            }
            try
            {
                var drain = RealServerDrain.Start(Ipvs, server with { NetNamespace = ItemNamespace },
                    timeouts.GetValueOrDefault(op.Key, options.Timeout), options.WaitForUdp, DateTimeOffset.UtcNow);
                writes += server.Weight != 0 ? 1 : 0;
                foreach (var w in RealServerDrainAdvice.AtStart(service.Service, server, settings))
                    WriteWarning(w);
                runner.Add(drain, Ipvs, settings, step);
            }
            catch (Exception e)
            {
                Failed(step, e);
            }
        }
        bool finished = runner.Run(options.PollInterval, Cancellation, WriteProgress, Activity);
        foreach (var e in runner.Entries)
        {
            var step = (LvsPlanStep)e.Tag!;
            if (DrainReports.Warning(e, !finished) is { } w)
                DrainReports.Warn(this, w);
            if (e.Error is not null)
                Failed(step, e.Error);
            else
                step.Status = e.Status is { Finished: true } ? LvsPlanStatus.Applied : LvsPlanStatus.NotRun;
            writes += e.Status?.State is RealServerDrainState.Completed or RealServerDrainState.TimedOut ? 1 : 0;
        }
        return new DrainOutcome(!finished, writes, Ipvs.Connection.RequestsSent - before, watch.Elapsed);
    }

    private static void Failed(LvsPlanStep step, Exception e)
    {
        var lvs = KernelErrors.ToLvsException(e) ?? new LvsException(LvsErrorKind.OperationFailed, "", e.Message, step, e);
        step.Status = LvsPlanStatus.Failed;
        step.Exception = new LvsException(lvs.Kind, lvs.ErrorId, $"{step.Target} (drain, then {step.Operation}): {lvs.Message}", step, lvs);
        step.Error = step.Exception.Message;
    }
}
