using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// How strictly an operation's values are checked before they are sent. <see cref="Create"/>: what a user asks to
/// create or change through a cmdlet or an ipvsadm rule, held to ipvsadm's documented limits. <see cref="Kernel"/>:
/// what the kernel itself accepts, for tables read from a kernel or a document (keepalived, moby/ipvs and raw netlink
/// clients write values ipvsadm refuses), so that whatever a kernel holds can be restored and edited losslessly.
/// </summary>
public enum ValidationLevel
{
    Create,
    Kernel,
}

/// <summary>What an <see cref="IpvsOperation"/> does.</summary>
public enum IpvsOperationKind
{
    AddService,
    EditService,
    DeleteService,
    AddRealServer,
    EditRealServer,
    DeleteRealServer,
    Zero,
    Flush,
    SetTimeouts,
    StartSyncDaemon,
    StopSyncDaemon,
}

/// <summary>
/// One change to the IPVS table, as data: what -WhatIf shows (<see cref="Describe"/>, the exact ipvsadm command line
/// that does the same, and <see cref="CommandName"/>), what <see cref="IpvsClient.Apply"/> sends in a batch, and what
/// <see cref="Write"/> encodes. Built with the static factories, which fill in the right members for each kind.
/// </summary>
public sealed record IpvsOperation
{
    private IpvsOperation(IpvsOperationKind kind) => Kind = kind;

    /// <summary>What the operation does.</summary>
    public IpvsOperationKind Kind { get; }

    /// <summary>How strictly <see cref="Validate"/> checks the values (default: <see cref="ValidationLevel.Create"/>).</summary>
    public ValidationLevel Validation { get; init; } = ValidationLevel.Create;

    /// <summary>The service of an AddService / EditService (its full form is sent).</summary>
    public LvsService? Service { get; private init; }

    /// <summary>The service every service and real-server operation (and a Zero of one service) addresses.</summary>
    public ServiceKey? Key { get; private init; }

    /// <summary>The real server of an Add/Edit/DeleteRealServer (a delete uses only its address and port).</summary>
    public LvsRealServer? RealServer { get; private init; }

    /// <summary>The values of a SetTimeouts.</summary>
    public LvsTimeouts? Timeouts { get; private init; }

    /// <summary>The daemon of a StartSyncDaemon.</summary>
    public LvsSyncDaemon? SyncDaemon { get; private init; }

    /// <summary>The daemon of a StopSyncDaemon.</summary>
    public SyncDaemonState? DaemonState { get; private init; }

    /// <summary>Equivalent to: ipvsadm -A SERVICE -s SCHED [-p T] [-M MASK] [--pe PE] [-o] [-b FLAGS].</summary>
    public static IpvsOperation AddService(LvsService service) =>
        new(IpvsOperationKind.AddService) { Service = service, Key = service.Key };

    /// <summary>Equivalent to: ipvsadm -E SERVICE -s SCHED ... (every option is replaced).</summary>
    public static IpvsOperation EditService(LvsService service) =>
        new(IpvsOperationKind.EditService) { Service = service, Key = service.Key };

    /// <summary>Equivalent to: ipvsadm -D SERVICE.</summary>
    public static IpvsOperation DeleteService(ServiceKey key) => new(IpvsOperationKind.DeleteService) { Key = key };

    /// <summary>Equivalent to: ipvsadm -a SERVICE -r ADDR:PORT -m|-g|-i -w W [-x U -y L] [--tun-type ...].</summary>
    public static IpvsOperation AddRealServer(LvsRealServer server) =>
        new(IpvsOperationKind.AddRealServer) { RealServer = server, Key = server.Service };

    /// <summary>Equivalent to: ipvsadm -e SERVICE -r ADDR:PORT -m|-g|-i -w W ...</summary>
    public static IpvsOperation EditRealServer(LvsRealServer server) =>
        new(IpvsOperationKind.EditRealServer) { RealServer = server, Key = server.Service };

    /// <summary>Equivalent to: ipvsadm -d SERVICE -r ADDR:PORT.</summary>
    public static IpvsOperation DeleteRealServer(ServiceKey service, IPAddress address, ushort port) =>
        new(IpvsOperationKind.DeleteRealServer) { RealServer = new LvsRealServer { Service = service, Address = address, Port = port }, Key = service };

    /// <summary>Equivalent to: ipvsadm -d SERVICE -r ADDR:PORT.</summary>
    public static IpvsOperation DeleteRealServer(LvsRealServer server) => DeleteRealServer(server.Service, server.Address, server.Port);

    /// <summary>Equivalent to: ipvsadm -Z [SERVICE] (null = every service).</summary>
    public static IpvsOperation Zero(ServiceKey? service = null) => new(IpvsOperationKind.Zero) { Key = service };

    /// <summary>Equivalent to: ipvsadm -C.</summary>
    public static IpvsOperation Flush() => new(IpvsOperationKind.Flush);

    /// <summary>Equivalent to: ipvsadm --set TCP TCPFIN UDP (0 = unchanged).</summary>
    public static IpvsOperation SetTimeouts(LvsTimeouts timeouts) => new(IpvsOperationKind.SetTimeouts) { Timeouts = timeouts };

    /// <summary>Equivalent to: ipvsadm --start-daemon master|backup --mcast-interface IF --syncid N ...</summary>
    public static IpvsOperation StartSyncDaemon(LvsSyncDaemon daemon) => new(IpvsOperationKind.StartSyncDaemon) { SyncDaemon = daemon };

    /// <summary>Equivalent to: ipvsadm --stop-daemon master|backup.</summary>
    public static IpvsOperation StopSyncDaemon(SyncDaemonState state) => new(IpvsOperationKind.StopSyncDaemon) { DaemonState = state };

    /// <summary>The IPVS command this operation sends.</summary>
    public byte Command => Kind switch
    {
        IpvsOperationKind.AddService => IpvsNetlink.IPVS_CMD_NEW_SERVICE,
        IpvsOperationKind.EditService => IpvsNetlink.IPVS_CMD_SET_SERVICE,
        IpvsOperationKind.DeleteService => IpvsNetlink.IPVS_CMD_DEL_SERVICE,
        IpvsOperationKind.AddRealServer => IpvsNetlink.IPVS_CMD_NEW_DEST,
        IpvsOperationKind.EditRealServer => IpvsNetlink.IPVS_CMD_SET_DEST,
        IpvsOperationKind.DeleteRealServer => IpvsNetlink.IPVS_CMD_DEL_DEST,
        IpvsOperationKind.Zero => IpvsNetlink.IPVS_CMD_ZERO,
        IpvsOperationKind.Flush => IpvsNetlink.IPVS_CMD_FLUSH,
        IpvsOperationKind.SetTimeouts => IpvsNetlink.IPVS_CMD_SET_CONFIG,
        IpvsOperationKind.StartSyncDaemon => IpvsNetlink.IPVS_CMD_NEW_DAEMON,
        IpvsOperationKind.StopSyncDaemon => IpvsNetlink.IPVS_CMD_DEL_DAEMON,
        _ => throw new InvalidOperationException($"unknown operation {Kind}"),
    };

    /// <summary>The kernel's name of the command: IPVS_CMD_NEW_SERVICE, IPVS_CMD_DEL_DEST, ...</summary>
    public string CommandName => IpvsNetlink.CommandName(Command);

    /// <summary>The exact ipvsadm command line that does the same (what -WhatIf prints).</summary>
    public string Describe() => Kind switch
    {
        IpvsOperationKind.AddService => $"ipvsadm -A {Key!.IpvsadmArgument}{Service!.IpvsadmOptions()}",
        IpvsOperationKind.EditService => $"ipvsadm -E {Key!.IpvsadmArgument}{Service!.IpvsadmOptions()}",
        IpvsOperationKind.DeleteService => $"ipvsadm -D {Key!.IpvsadmArgument}",
        IpvsOperationKind.AddRealServer => $"ipvsadm -a {Key!.IpvsadmArgument} -r {RealServer!.Endpoint}{RealServer.IpvsadmOptions()}",
        IpvsOperationKind.EditRealServer => $"ipvsadm -e {Key!.IpvsadmArgument} -r {RealServer!.Endpoint}{RealServer.IpvsadmOptions()}",
        IpvsOperationKind.DeleteRealServer => $"ipvsadm -d {Key!.IpvsadmArgument} -r {RealServer!.Endpoint}",
        IpvsOperationKind.Zero => Key is null ? "ipvsadm -Z" : $"ipvsadm -Z {Key.IpvsadmArgument}",
        IpvsOperationKind.Flush => "ipvsadm -C",
        IpvsOperationKind.SetTimeouts =>
            $"ipvsadm --set {LvsTimeouts.Seconds(Timeouts!.Tcp)} {LvsTimeouts.Seconds(Timeouts.TcpFin)} {LvsTimeouts.Seconds(Timeouts.Udp)}",
        IpvsOperationKind.StartSyncDaemon => $"ipvsadm --start-daemon {LvsSyncDaemon.StateName(SyncDaemon!.State)}{SyncDaemon.IpvsadmOptions()}",
        IpvsOperationKind.StopSyncDaemon => $"ipvsadm --stop-daemon {LvsSyncDaemon.StateName(DaemonState!.Value)}",
        _ => throw new InvalidOperationException($"unknown operation {Kind}"),
    };

    /// <summary>The -WhatIf target: the service, or service and real server.</summary>
    public string Target => Kind switch
    {
        IpvsOperationKind.AddRealServer or IpvsOperationKind.EditRealServer or IpvsOperationKind.DeleteRealServer =>
            $"{Key} -> {RealServer!.Endpoint}",
        IpvsOperationKind.StartSyncDaemon => $"{LvsSyncDaemon.StateName(SyncDaemon!.State)} sync daemon",
        IpvsOperationKind.StopSyncDaemon => $"{LvsSyncDaemon.StateName(DaemonState!.Value)} sync daemon",
        IpvsOperationKind.SetTimeouts => "IPVS timeouts",
        _ => Key?.ToString() ?? "IPVS table",
    };

    /// <summary>
    /// Checks the operation's values (see <see cref="IpvsValidation"/>) before anything is sent, at this operation's
    /// <see cref="Validation"/> level: Create (ipvsadm's rules) or Kernel (only what the kernel refuses).
    /// </summary>
    /// <exception cref="LvsException">InvalidArgument with the id of the failed check.</exception>
    public void Validate()
    {
        switch (Kind)
        {
            case IpvsOperationKind.AddService or IpvsOperationKind.EditService:
                IpvsValidation.Service(Service!, Validation);
                break;
            case IpvsOperationKind.DeleteService:
                IpvsValidation.Key(Key!);
                break;
            case IpvsOperationKind.AddRealServer or IpvsOperationKind.EditRealServer:
                IpvsValidation.RealServer(RealServer!, Validation);
                break;
            case IpvsOperationKind.DeleteRealServer:
                IpvsValidation.Key(Key!);
                break;
            case IpvsOperationKind.Zero when Key is not null:
                IpvsValidation.Key(Key);
                break;
            case IpvsOperationKind.SetTimeouts:
                IpvsValidation.Timeouts(Timeouts!, Validation);
                break;
            case IpvsOperationKind.StartSyncDaemon:
                IpvsValidation.SyncDaemon(SyncDaemon!, Validation);
                break;
            case IpvsOperationKind.StopSyncDaemon:
                IpvsValidation.DaemonState(DaemonState!.Value);
                break;
        }
    }

    /// <summary>Writes the whole request (nlmsghdr, genlmsghdr, attributes) into <paramref name="w"/>.</summary>
    public void Write(NetlinkWriter w, ushort familyId)
    {
        w.BeginMessage(familyId, Command, IpvsNetlink.Version);
        switch (Kind)
        {
            case IpvsOperationKind.AddService or IpvsOperationKind.EditService:
                Service!.Write(w);
                break;
            case IpvsOperationKind.DeleteService:
                Key!.Write(w);
                break;
            case IpvsOperationKind.AddRealServer or IpvsOperationKind.EditRealServer:
                Key!.Write(w);
                RealServer!.Write(w);
                break;
            case IpvsOperationKind.DeleteRealServer:
                Key!.Write(w);
                LvsRealServer.WriteKey(w, RealServer!.Address, RealServer.Port);
                break;
            case IpvsOperationKind.Zero:
                Key?.Write(w);
                break;
            case IpvsOperationKind.SetTimeouts:
                Timeouts!.Write(w);
                break;
            case IpvsOperationKind.StartSyncDaemon:
                SyncDaemon!.Write(w);
                break;
            case IpvsOperationKind.StopSyncDaemon:
                int s = IpvsNetlink.BeginNest(w, IpvsNetlink.IPVS_CMD_ATTR_DAEMON);
                w.U32(IpvsNetlink.IPVS_DAEMON_ATTR_STATE, (uint)DaemonState!.Value);
                w.EndNested(s);
                break;
        }
        w.EndMessage();
    }

    /// <summary>
    /// Gives a kernel error an IPVS-specific id where the errno alone is ambiguous: ENOENT on NEW_SERVICE / SET_SERVICE
    /// means the scheduler or the persistence engine could not be found (the kernel tried to load ip_vs_NAME /
    /// ip_vs_pe_NAME): SchedulerNotAvailable or PersistenceEngineNotAvailable. Any other error is mapped by its errno
    /// alone, without an id (the caller picks one from its context: EEXIST = exists, ESRCH = no such service, ENOENT on a
    /// real-server command = no such real server).
    /// </summary>
    public LvsException Translate(NetlinkException e)
    {
        if (e.Errno != Errno.ENOENT || Kind is not (IpvsOperationKind.AddService or IpvsOperationKind.EditService))
            return KernelErrors.From(e);
        var svc = Service!;
        bool blamePe = !string.IsNullOrEmpty(svc.PersistenceEngine) && IpvsModules.IsSchedulerAvailable(svc.Scheduler) == true;
        if (blamePe)
        {
            bool known = IpvsValidation.KnownPersistenceEngines.Contains(svc.PersistenceEngine!);
            return new LvsException(known ? LvsErrorKind.NotSupported : LvsErrorKind.InvalidArgument, "PersistenceEngineNotAvailable",
                $"The kernel has no persistence engine '{svc.PersistenceEngine}' (module ip_vs_pe_{svc.PersistenceEngine} is not " +
                $"loaded and could not be loaded){(known ? "" : "; the kernel knows only 'sip'")}: {CommandName} answered ENOENT.",
                svc.PersistenceEngine, e);
        }
        bool knownSched = IpvsValidation.KnownSchedulers.Contains(svc.Scheduler);
        string also = string.IsNullOrEmpty(svc.PersistenceEngine) ? "" : $" (or persistence engine '{svc.PersistenceEngine}')";
        return new LvsException(knownSched ? LvsErrorKind.NotSupported : LvsErrorKind.InvalidArgument, "SchedulerNotAvailable",
            $"The kernel has no scheduler '{svc.Scheduler}'{also}: module ip_vs_{svc.Scheduler} is not loaded and could not be " +
            $"loaded ({(knownSched ? "this kernel was built without it" : "unknown scheduler name")}); {CommandName} answered ENOENT.",
            svc.Scheduler, e);
    }

    /// <summary>The ipvsadm command line.</summary>
    public override string ToString() => Describe();
}
