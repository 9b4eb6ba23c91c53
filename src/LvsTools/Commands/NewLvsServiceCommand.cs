using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Creates a virtual service: `ipvsadm -A -t|-u|--sctp-service VIP:PORT -s SCHED` or `ipvsadm -A -f MARK`.</summary>
[Cmdlet(VerbsCommon.New, "LvsService", SupportsShouldProcess = true, DefaultParameterSetName = "Address")]
[OutputType(typeof(LvsService))]
public sealed class NewLvsServiceCommand : ServiceCommandBase
{
    /// <summary>The scheduler: rr wrr lc wlc (default) lblc lblcr dh sh sed nq fo ovf mh.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(IpvsParameters.SchedulerCompleter))]
    [ValidateNotNullOrEmpty]
    public string Scheduler { get; set; } = LvsService.DefaultScheduler;

    /// <summary>Scheduler flags (ipvsadm -b): sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SchedulerFlag { get; set; }

    /// <summary>Make the service persistent (ipvsadm -p), with the default timeout of 300 s unless -PersistenceTimeout.</summary>
    [Parameter]
    public SwitchParameter Persistent { get; set; }

    /// <summary>Persistence timeout (ipvsadm -p N); implies -Persistent.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan? PersistenceTimeout { get; set; }

    /// <summary>Persistence granularity (ipvsadm -M): an IPv4 mask (255.255.255.0) or a prefix length (24, or 64 for IPv6).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PersistenceNetmask { get; set; }

    /// <summary>Persistence engine (ipvsadm --pe); the kernel has "sip".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PersistenceEngine { get; set; }

    /// <summary>One-packet scheduling for UDP (ipvsadm -o).</summary>
    [Parameter]
    public SwitchParameter OnePacket { get; set; }

    protected override string ErrorSubject => "LvsService";

    protected override void ProcessRecord()
    {
        if (TryParameterKey() is not { } key)
            return;
        LvsService service;
        try
        {
            service = ServiceBuilder.Build(key, Scheduler, SchedulerFlag, Persistent || PersistenceTimeout is not null, PersistenceTimeout,
                PersistenceNetmask, PersistenceEngine, OnePacket);
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
