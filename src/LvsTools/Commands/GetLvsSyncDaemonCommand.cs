using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists the running IPVS connection synchronisation daemons: `ipvsadm -L --daemon`.</summary>
[Cmdlet(VerbsCommon.Get, "LvsSyncDaemon")]
[OutputType(typeof(LvsSyncDaemon))]
public sealed class GetLvsSyncDaemonCommand : LvsCommandBase
{
    /// <summary>Only the daemons of these states (Master, Backup). Default: both.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public SyncDaemonState[]? State { get; set; }

    protected override string ErrorSubject => "LvsSyncDaemon";

    protected override void ProcessInNamespace() => ForNamespace(() =>
        WriteObject(Ipvs.GetSyncDaemons().Where(d => State is null || State.Contains(d.State)).OrderBy(d => d.State), enumerateCollection: true));
}
