using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Config;
using LvsTools.Core.Ipvs;

namespace LvsTools.Internal;

/// <summary>Sync-LvsConfiguration -Drain: how long, how often, and whether UDP servers wait.</summary>
public sealed record DrainOptions(TimeSpan Timeout, TimeSpan PollInterval, bool WaitForUdp);

// The drain phase of a configuration run: the plan is applied without the deletes of real servers and of services,
// then those real servers, and every real server of those services, are drained (weight 0, wait, delete) instead of
// deleted at once; a service goes once all its real servers are drained.
public abstract partial class ConfigurationCommandBase
{
    /// <summary>Sync's -Drain (null: real servers and services the document removes are deleted at once).</summary>
    protected virtual DrainOptions? DrainRemovals => null;

    /// <summary>The approved steps the drain phase takes over: the deletes of real servers and services (none without -Drain).</summary>
    private List<LvsPlanStep> Deferred(List<LvsPlanStep> approved) => DrainRemovals is null ? []
        : approved.Where(s => s.IpvsRequest is IpvsOperation.RealServerDelete or IpvsOperation.ServiceDelete).ToList();

    /// <summary>What -WhatIf and -Confirm say of a step: a deferred delete is a drain, its steps named.</summary>
    private string Describe(LvsPlanStep step, LvsKernelState current)
    {
        if (DrainRemovals is not { } d)
            return step.Operation;
        if (step.IpvsRequest is IpvsOperation.RealServerDelete del
            && current.Services.TryGetValue(del.Key, out var service) && service.RealServers.TryGetValue((del.Address, del.Port), out var server))
            return $"Drain: {RealServerDrain.QuiesceOperation(server).Describe()}; wait up to {d.Timeout} (or the service's drainTimeout) " +
                $"for its connections to end; {del.Describe()}";
        if (step.IpvsRequest is IpvsOperation.ServiceDelete sd && current.Services.TryGetValue(sd.Key, out var gone) && gone.RealServers.Count > 0)
            return $"Drain the {gone.RealServers.Count} real server(s) of the service the document removes: " +
                string.Join("; ", gone.RealServers.Values.Select(r => RealServerDrain.QuiesceOperation(r).Describe())) +
                $"; wait up to {d.Timeout} for their connections to end, deleting each when it has none; {sd.Describe()}";
        return step.Operation;
    }

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
        var failed = new HashSet<LvsPlanStep>();
        foreach (var step in steps)
        {
            // A real server the document removes, or every real server of a service it removes (-DrainTimeout: the
            // document no longer holds the service's drainTimeout).
            var (service, servers) = step.IpvsRequest switch
            {
                IpvsOperation.RealServerDelete op when current.Services.TryGetValue(op.Key, out var svc)
                    => (svc, svc.RealServers.TryGetValue((op.Address, op.Port), out var rs) ? [rs] : new List<LvsRealServer>()),
                IpvsOperation.ServiceDelete op when current.Services.TryGetValue(op.Key, out var svc) => (svc, svc.RealServers.Values.ToList()),
                _ => (null, []),
            };
            foreach (var server in service is null ? [] : servers)
            {
                try
                {
                    var drain = RealServerDrain.Start(Ipvs, server with { NetNamespace = ItemNamespace },
                        timeouts.GetValueOrDefault(service!.Service.Key, options.Timeout), options.WaitForUdp, DateTimeOffset.UtcNow);
                    writes += server.Weight != 0 ? 1 : 0;
                    foreach (var w in RealServerDrainAdvice.AtStart(service.Service, server, settings))
                        WriteWarning(w);
                    runner.Add(drain, Ipvs, settings, step);
                }
                catch (Exception e)
                {
                    Failed(step, e);
                    failed.Add(step);
                }
            }
        }
        bool finished = runner.Run(options.PollInterval, Cancellation, WriteProgress, Activity);
        foreach (var e in runner.Entries)
        {
            if (DrainReports.Warning(e, !finished) is { } w)
                DrainReports.Warn(this, w);
            writes += e.Status?.State is RealServerDrainState.Completed or RealServerDrainState.TimedOut ? 1 : 0;
        }
        // A step is done when all its drains are (a server not in the table read had nothing to drain); a service is
        // then deleted, once its real servers are gone. A stop leaves what waits at weight 0 and the service in place.
        foreach (var step in steps.Where(s => !failed.Contains(s)))
        {
            var mine = runner.Entries.Where(e => e.Tag == step).ToList();
            if (mine.FirstOrDefault(e => e.Error is not null) is { } broken)
                Failed(step, broken.Error!);
            else if (mine.Any(e => e.Status is not { Finished: true }) || (!finished && step.IpvsRequest is IpvsOperation.ServiceDelete))
                step.Status = LvsPlanStatus.NotRun;
            else if (step.IpvsRequest is IpvsOperation.ServiceDelete sd)
                writes += DeleteDrainedService(step, sd);
            else
                step.Status = LvsPlanStatus.Applied;
        }
        return new DrainOutcome(!finished, writes, Ipvs.Connection.RequestsSent - before, watch.Elapsed);
    }

    // The last step of a removed service's drain: its real servers are gone; the service goes (one write), unless someone
    // else deleted it first.
    private int DeleteDrainedService(LvsPlanStep step, IpvsOperation.ServiceDelete delete)
    {
        try
        {
            Ipvs.Execute(delete);
            step.Status = LvsPlanStatus.Applied;
            return 1;
        }
        catch (Exception e) when (KernelErrors.ToLvsException(e) is { Kind: LvsErrorKind.NotFound })
        {
            step.Status = LvsPlanStatus.Applied;
            return 0;
        }
        catch (Exception e)
        {
            Failed(step, e);
            return 0;
        }
    }

    private static void Failed(LvsPlanStep step, Exception e)
    {
        var lvs = KernelErrors.ToLvsException(e) ?? new LvsException(LvsErrorKind.OperationFailed, "", e.Message, step, e);
        step.Status = LvsPlanStatus.Failed;
        step.Exception = new LvsException(lvs.Kind, lvs.ErrorId, $"{step.Target} (drain, then {step.Operation}): {lvs.Message}", step, lvs);
        step.Error = step.Exception.Message;
    }
}
