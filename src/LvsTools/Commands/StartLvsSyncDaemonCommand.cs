using System.Management.Automation;
using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Starts an IPVS connection synchronisation daemon: `ipvsadm --start-daemon master|backup --mcast-interface IF
/// --syncid N [--sync-maxlen L] [--mcast-group G] [--mcast-port P] [--mcast-ttl T]`.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "LvsSyncDaemon", SupportsShouldProcess = true)]
[OutputType(typeof(LvsSyncDaemon))]
public sealed class StartLvsSyncDaemonCommand : LvsCmdlet
{
    /// <summary>Master (sends the connection table) or Backup (receives it).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public SyncDaemonState State { get; set; }

    /// <summary>The interface the sync messages are sent or received on (ipvsadm --mcast-interface).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("InterfaceName")]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string MulticastInterface { get; set; } = "";

    /// <summary>The sync id, 0-255 (ipvsadm --syncid); a backup with 0 accepts every id.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int SyncId { get; set; }

    /// <summary>The largest sync message in bytes, 1-65507 (ipvsadm --sync-maxlen; 65487 with an IPv6 group, 1024 and up for a backup). Default: from the interface's MTU.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? SyncMaxLength { get; set; }

    /// <summary>The multicast group, IPv4 or IPv6 (ipvsadm --mcast-group). Default: 224.0.0.81.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? MulticastGroup { get; set; }

    /// <summary>The UDP port, 1-65535 (ipvsadm --mcast-port). Default: 8848.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? MulticastPort { get; set; }

    /// <summary>The multicast TTL, 1-255 (ipvsadm --mcast-ttl). Default: 1.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? MulticastTtl { get; set; }

    /// <summary>Write the daemon, as the kernel reports it after the start, to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string ErrorSubject => "LvsSyncDaemon";

    protected override void ProcessRecord()
    {
        string target = $"{LvsSyncDaemon.StateName(State)} sync daemon";
        try
        {
            var daemon = new LvsSyncDaemon
            {
                State = State,
                MulticastInterface = MulticastInterface,
                SyncId = (uint)Range(SyncId, 0, 255, "Sync id")!.Value,
                SyncMaxLength = (ushort?)Range(SyncMaxLength, 1, 65507, "Sync message length"),
                MulticastGroup = Group(MulticastGroup),
                MulticastPort = (ushort?)Range(MulticastPort, 1, 65535, "Multicast port"),
                MulticastTtl = (byte?)Range(MulticastTtl, 1, 255, "Multicast TTL"),
            };
            try
            {
                if (!ShouldExecute(IpvsOperation.StartSyncDaemon(daemon)))
                    return;
            }
            catch (NetlinkException e) when (e.Errno == Errno.EEXIST)
            {
                throw new LvsException(LvsErrorKind.AlreadyExists, "LvsSyncDaemonExists",
                    $"A {target} is already running{Where}: stop it first (Stop-LvsSyncDaemon -State {State}).", target, e);
            }
            catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
            {
                throw new LvsException(LvsErrorKind.NotFound, "InterfaceNotFound",
                    $"Interface '{MulticastInterface}' does not exist{Where}.", MulticastInterface, e);
            }
            if (PassThru && Ipvs.GetSyncDaemons().FirstOrDefault(d => d.State == State) is { } started)
                WriteObject(started);
        }
        catch (Exception e)
        {
            WriteLvsError(e, target);
        }
    }

    private static int? Range(int? value, int min, int max, string what) =>
        value is null || (value >= min && value <= max) ? value
            : throw LvsException.Invalid("InvalidSyncDaemon", $"{what} {value} is out of range: {min} to {max}.", value);

    private static IPAddress? Group(string? text)
    {
        if (text is null)
            return null;
        try
        {
            return IPNetworkMath.ParseAddress(text);
        }
        catch (LvsException e)
        {
            throw new LvsException(LvsErrorKind.InvalidArgument, "InvalidSyncDaemon", e.Message, text, e);
        }
    }
}
