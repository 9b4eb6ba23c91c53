using System.Diagnostics;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

public static partial class LvsConfigurationSync
{
    /// <summary>
    /// Sends the steps: the IPVS ones as one batch (256 requests per sendmsg, each failure matched to its step),
    /// then addresses and sysctls one by one. Every step ends Applied, Failed (with the kernel's reason) or NotRun
    /// (cancelled first). Running the same document again reconciles whatever did not apply.
    /// <see cref="LvsApplyResult.WritesSent"/> counts the netlink requests sent here (the batch's requests that reached the
    /// kernel, and one per address); <see cref="LvsApplyResult.RequestsSent"/> adds <paramref name="readsSent"/>, the requests
    /// the read of the current state sent (<see cref="LvsKernelState.RequestsSent"/>).
    /// </summary>
    public static LvsApplyResult Apply(IReadOnlyList<LvsPlanStep> steps, IpvsClient ipvs, RouteClient? route, SysctlStore? sysctl,
        Action<int, int>? progress = null, CancellationToken cancellation = default, long readsSent = 0)
    {
        if (sysctl is not null)
            CheckSysctlScope(steps, sysctl); // before the first request, not half-way
        var watch = Stopwatch.StartNew();
        long writes = 0;
        var ipvsSteps = steps.Where(s => s.SendsIpvs).ToList();
        bool cancelled = false;
        if (ipvsSteps.Count > 0)
        {
            // Plan validated every operation already.
            var result = ipvs.Apply(ipvsSteps.Select(s => s.Ipvs!).ToList(), n => progress?.Invoke(n, steps.Count), cancellation, validate: false);
            writes += result.Sent;
            for (int i = 0; i < ipvsSteps.Count; i++)
                ipvsSteps[i].Status = i < result.Sent ? LvsPlanStatus.Applied : LvsPlanStatus.NotRun;
            foreach (var f in result.Failures)
                Fail(ipvsSteps[f.RequestIndex], ipvsSteps[f.RequestIndex].Ipvs!.Translate(f));
            cancelled = result.Cancelled;
        }
        int done = ipvsSteps.Count;
        foreach (var step in steps.Where(s => !s.SendsIpvs))
        {
            if (cancelled || cancellation.IsCancellationRequested)
            {
                cancelled = true;
                step.Status = LvsPlanStatus.NotRun;
                continue;
            }
            long before = route?.Connection.RequestsSent ?? 0;
            try
            {
                if (step.Address is { } a)
                    (route ?? throw new InvalidOperationException("no route client")).AddAddress(a);
                else if (step.Sysctl is { } s)
                    (sysctl ?? throw new InvalidOperationException("no sysctl store")).Set(s.Name, s.Value);
                step.Status = LvsPlanStatus.Applied;
            }
            catch (Exception failure) when (KernelErrors.ToLvsException(failure) is { } e)
            {
                Fail(step, e);
            }
            writes += (route?.Connection.RequestsSent ?? 0) - before;
            progress?.Invoke(++done, steps.Count);
        }
        return new LvsApplyResult
        {
            Steps = steps,
            Cancelled = cancelled,
            RequestsSent = readsSent + writes,
            WritesSent = writes,
            Elapsed = watch.Elapsed,
        };
    }

    private static void Fail(LvsPlanStep step, LvsException e)
    {
        step.Status = LvsPlanStatus.Failed;
        step.Exception = new LvsException(e.Kind, e.ErrorId, $"{step.Target} ({step.Operation}): {e.Message}", step, e);
        step.Error = step.Exception.Message;
    }
}
