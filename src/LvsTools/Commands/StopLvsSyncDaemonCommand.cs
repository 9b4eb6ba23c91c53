using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Stops an IPVS connection synchronisation daemon: `ipvsadm --stop-daemon master|backup`.</summary>
[Cmdlet(VerbsLifecycle.Stop, "LvsSyncDaemon", SupportsShouldProcess = true)]
[OutputType(typeof(LvsSyncDaemon))]
public sealed class StopLvsSyncDaemonCommand : LvsCommandBase
{
    /// <summary>The daemon to stop: Master or Backup. Binds the State of daemons from Get-LvsSyncDaemon.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public SyncDaemonState State { get; set; }

    /// <summary>Write the daemon, as it ran before it was stopped, to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private bool WhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter { IsPresent: true };

    protected override string ErrorSubject => "LvsSyncDaemon";

    protected override void ProcessInNamespace()
    {
        string target = $"{IpvsadmSyntax.DaemonStateName(State)} sync daemon";
        try
        {
            var op = IpvsOperation.StopSyncDaemon(State);
            LvsSyncDaemon? running = null;
            try
            {
                op.Validate();
                if (PassThru && !WhatIf)
                    running = Ipvs.GetSyncDaemons().FirstOrDefault(d => d.State == State);
                if (!ShouldExecute(op))
                    return;
            }
            catch (NetlinkException e) when (e.Errno == Errno.ESRCH)
            {
                throw new LvsException(LvsErrorKind.NotFound, "LvsSyncDaemonNotFound", $"No {target} is running{Where}.", target, e);
            }
            if (running is not null)
                WriteObject(running);
        }
        catch (Exception e)
        {
            WriteLvsError(e, target);
        }
    }
}
