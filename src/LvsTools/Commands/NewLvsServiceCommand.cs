using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Creates a virtual service: `ipvsadm -A -t|-u|--sctp-service VIP:PORT -s SCHED` or `ipvsadm -A -f MARK`.</summary>
[Cmdlet(VerbsCommon.New, "LvsService", SupportsShouldProcess = true, DefaultParameterSetName = "Address")]
[OutputType(typeof(LvsService))]
public sealed class NewLvsServiceCommand : ServiceSettingsCommandBase
{
    /// <summary>The scheduler: rr wrr lc wlc (default) lblc lblcr dh sh sed nq fo ovf mh.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(IpvsParameters.SchedulerCompleter))]
    [ValidateNotNullOrEmpty]
    public string Scheduler { get; set; } = LvsService.DefaultScheduler;

    protected override void ProcessInNamespace()
    {
        if (TryParameterKey() is not { } key)
            return;
        LvsService service;
        try
        {
            service = ServiceSettings.New(key, Scheduler, SchedulerFlag, Persistent || PersistenceTimeout is not null, PersistenceTimeout,
                PersistenceNetmask, PersistenceEngine is "" ? null : PersistenceEngine, OnePacket);
        }
        catch (Exception e)
        {
            WriteLvsError(e, KeyTarget);
            return;
        }
        try
        {
            // The add and its read-back under the namespace's lock: what is written out is what this call created.
            LvsService? created;
            using (this.HoldUnlessWhatIf(Namespace, Cancellation))
            {
                if (!ShouldExecute(IpvsOperation.AddService(service)))
                    return;
                created = Ipvs.GetService(service.Key);
            }
            if (created is not null)
                WriteObject(created);
        }
        catch (Exception e)
        {
            WriteLvsError(IpvsParameters.Contextualize(e, service.Key), service.Key.ToString());
        }
    }
}
