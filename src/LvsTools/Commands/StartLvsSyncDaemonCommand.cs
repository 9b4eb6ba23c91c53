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
public sealed class StartLvsSyncDaemonCommand : LvsCommandBase
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

    protected override void ProcessInNamespace()
    {
        string target = $"{IpvsadmSyntax.DaemonStateName(State)} sync daemon";
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
                    $"Interface '{MulticastInterface}' does not exist{Where}: give an existing interface (Get-NetInterface lists them).",
                    MulticastInterface, e);
            }
            catch (NetlinkException e) when (e.Errno == Errno.EINVAL)
            {
                throw new LvsException(LvsErrorKind.InvalidArgument, "LvsSyncDaemonRefused", Refused(daemon, target), target, e);
            }
            catch (NetlinkException e) when (e.Errno == Errno.ENETUNREACH)
            {
                throw new LvsException(LvsErrorKind.InvalidArgument, "LvsSyncDaemonRefused",
                    $"The kernel cannot start the {target} on '{MulticastInterface}'{Where}: the multicast group {Group(daemon)} is unreachable "
                    + $"through it (ENETUNREACH), because the interface is down or has no address or route for that group. Bring the interface up "
                    + $"with an address (ip link set dev {MulticastInterface} up; Add-LvsVirtualIp), then start the daemon again.", target, e);
            }
            catch (NetlinkException e) when (e.Errno == Errno.EADDRINUSE)
            {
                throw new LvsException(LvsErrorKind.ResourceBusy, "LvsSyncDaemonRefused",
                    $"The kernel cannot start the {target} on '{MulticastInterface}'{Where}: the multicast group {Group(daemon)} is already "
                    + "joined on that interface or its port is taken (EADDRINUSE). Stop what uses it, or give another -MulticastGroup or -MulticastPort.",
                    target, e);
            }
            if (PassThru && Ipvs.GetSyncDaemons().FirstOrDefault(d => d.State == State) is { } started)
                WriteObject(started);
        }
        catch (Exception e)
        {
            WriteLvsError(e, target);
        }
    }

    private static string Group(LvsSyncDaemon d) =>
        $"{d.MulticastGroup?.ToString() ?? "224.0.0.81"}:{d.MulticastPort ?? 8848}";

    /// <summary>
    /// Why the kernel answered EINVAL to IPVS_CMD_NEW_DAEMON (ip_vs_genl_new_daemon, start_sync_thread): a multicast group
    /// that is not multicast, a state other than master or backup, or real servers of another address family than their
    /// service (the sync protocol cannot carry them). The first two are checked here; the third is looked up in the table.
    /// </summary>
    private string Refused(LvsSyncDaemon daemon, string target)
    {
        string why = $"The kernel refused to start the {target} on '{MulticastInterface}'{Where} (EINVAL): ";
        if (daemon.MulticastGroup is { } g && !(g.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? g.IsIPv6Multicast : g.GetAddressBytes()[0] is >= 224 and <= 239))
            return why + $"{g} is not a multicast address. Give a multicast -MulticastGroup (224.0.0.0/4 or ff00::/8), or leave it out for 224.0.0.81.";
        if (daemon.State is not (SyncDaemonState.Master or SyncDaemonState.Backup))
            return why + $"{(uint)daemon.State} is not a sync daemon state. Use -State Master or Backup.";
        List<LvsRealServer> mixed;
        try
        {
            mixed = Ipvs.GetAllRealServers().Where(r => r.AddressFamily != r.Service.Family).ToList();
        }
        catch (Exception e) when (KernelErrors.ToLvsException(e) is not null)
        {
            mixed = [];
        }
        if (mixed.Count > 0)
            return why + $"the sync protocol cannot carry real servers of another address family than their service, and {mixed.Count} exist "
                + $"({string.Join(", ", mixed.Take(3).Select(r => $"{r.Endpoint} in {r.Service}"))}{(mixed.Count > 3 ? ", …" : "")}). "
                + "Remove them (Remove-LvsRealServer) or run without a sync daemon.";
        return why + "the multicast group is not multicast, the state is neither master nor backup, or real servers of another address "
            + "family than their service exist. Check -MulticastGroup and the real servers (Get-LvsRealServer), then start the daemon again.";
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
