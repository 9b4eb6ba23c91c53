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

/// <summary>
/// One change to the IPVS table, as data: what -WhatIf shows (<see cref="Describe"/>, the exact ipvsadm command line
/// that does the same, and <see cref="CommandName"/>), what <see cref="IpvsClient.Apply"/> sends in a batch, and what
/// the IPVS codec encodes. A closed set: one nested record per command, each carrying only its own values, built by
/// the static factories (<see cref="AddService(LvsService)"/>, ...).
/// </summary>
public abstract partial record IpvsOperation
{
    private IpvsOperation(byte command) => Command = command;

    /// <summary>How strictly <see cref="Validate"/> checks the values (default: <see cref="ValidationLevel.Create"/>).</summary>
    public ValidationLevel Validation { get; init; } = ValidationLevel.Create;

    /// <summary>The IPVS command this operation sends.</summary>
    public byte Command { get; }

    /// <summary>The kernel's name of the command: IPVS_CMD_NEW_SERVICE, IPVS_CMD_DEL_DEST, ...</summary>
    public string CommandName => IpvsNetlink.CommandName(Command);

    /// <summary>The exact ipvsadm command line that does the same (what -WhatIf prints).</summary>
    public abstract string Describe();

    /// <summary>The -WhatIf target: the service, or service and real server.</summary>
    public abstract string Target { get; }

    /// <summary>
    /// Checks the operation's values (see <see cref="IpvsValidation"/>) before anything is sent, at this operation's
    /// <see cref="Validation"/> level: Create (ipvsadm's rules) or Kernel (only what the kernel refuses).
    /// </summary>
    /// <exception cref="LvsException">InvalidArgument with the id of the failed check.</exception>
    public abstract void Validate();

    /// <summary>
    /// Gives a kernel error an IPVS-specific id where the errno alone is ambiguous (see <see cref="ServiceOperation"/>).
    /// Any other error is mapped by its errno alone, without an id (the caller picks one from its context: EEXIST = exists,
    /// ESRCH = no such service, ENOENT on a real-server command = no such real server).
    /// </summary>
    public virtual LvsException Translate(NetlinkException e) => KernelErrors.From(e);

    /// <summary>Writes the whole request (nlmsghdr, genlmsghdr, attributes) into <paramref name="w"/>.</summary>
    internal void Write(NetlinkWriter w, ushort familyId)
    {
        w.BeginMessage(familyId, Command, IpvsNetlink.Version);
        WriteAttributes(w);
        w.EndMessage();
    }

    /// <summary>The request's attributes, through <see cref="IpvsCodec"/>.</summary>
    private protected abstract void WriteAttributes(NetlinkWriter w);

    /// <summary>The ipvsadm command line.</summary>
    public sealed override string ToString() => Describe();

    /// <summary>Equivalent to: ipvsadm -A SERVICE -s SCHED [-p T] [-M MASK] [--pe PE] [-o] [-b FLAGS].</summary>
    public static ServiceAdd AddService(LvsService service) => new(service);

    /// <summary>Equivalent to: ipvsadm -E SERVICE -s SCHED ... (every option is replaced).</summary>
    public static ServiceEdit EditService(LvsService service) => new(service);

    /// <summary>Equivalent to: ipvsadm -D SERVICE.</summary>
    public static ServiceDelete DeleteService(ServiceKey key) => new(key);

    /// <summary>Equivalent to: ipvsadm -a SERVICE -r ADDR:PORT -m|-g|-i -w W [-x U -y L] [--tun-type ...].</summary>
    public static RealServerAdd AddRealServer(LvsRealServer server) => new(server);

    /// <summary>Equivalent to: ipvsadm -e SERVICE -r ADDR:PORT -m|-g|-i -w W ...</summary>
    public static RealServerEdit EditRealServer(LvsRealServer server) => new(server);

    /// <summary>Equivalent to: ipvsadm -d SERVICE -r ADDR:PORT.</summary>
    public static RealServerDelete DeleteRealServer(ServiceKey service, IPAddress address, ushort port) => new(service, address, port);

    /// <summary>Equivalent to: ipvsadm -d SERVICE -r ADDR:PORT.</summary>
    public static RealServerDelete DeleteRealServer(LvsRealServer server) => new(server.Service, server.Address, server.Port);

    /// <summary>Equivalent to: ipvsadm -Z [SERVICE] (null = every service).</summary>
    public static CountersZero Zero(ServiceKey? service = null) => new(service);

    /// <summary>Equivalent to: ipvsadm -C.</summary>
    public static TableFlush Flush() => new();

    /// <summary>Equivalent to: ipvsadm --set TCP TCPFIN UDP (0 = unchanged).</summary>
    public static TimeoutsSet SetTimeouts(LvsTimeouts timeouts) => new(timeouts);

    /// <summary>Equivalent to: ipvsadm --start-daemon master|backup --mcast-interface IF --syncid N ...</summary>
    public static SyncDaemonStart StartSyncDaemon(LvsSyncDaemon daemon) => new(daemon);

    /// <summary>Equivalent to: ipvsadm --stop-daemon master|backup.</summary>
    public static SyncDaemonStop StopSyncDaemon(SyncDaemonState state) => new(state);

    /// <summary>ipvsadm -D: deletes a service and its real servers.</summary>
    public sealed record ServiceDelete(ServiceKey Key) : IpvsOperation(IpvsNetlink.IPVS_CMD_DEL_SERVICE)
    {
        public override string Describe() => $"ipvsadm -D {IpvsadmSyntax.ServiceArgument(Key)}";
        public override string Target => Key.ToString();
        public override void Validate() => IpvsValidation.Key(Key);
        private protected override void WriteAttributes(NetlinkWriter w) => IpvsCodec.WriteServiceKey(w, Key);
    }

    /// <summary>ipvsadm -Z: zeroes the counters of one service, or of all (<see cref="Key"/> null).</summary>
    public sealed record CountersZero(ServiceKey? Key) : IpvsOperation(IpvsNetlink.IPVS_CMD_ZERO)
    {
        public override string Describe() => Key is null ? "ipvsadm -Z" : $"ipvsadm -Z {IpvsadmSyntax.ServiceArgument(Key)}";
        public override string Target => Key?.ToString() ?? "IPVS table";

        public override void Validate()
        {
            if (Key is not null)
                IpvsValidation.Key(Key);
        }

        private protected override void WriteAttributes(NetlinkWriter w)
        {
            if (Key is not null)
                IpvsCodec.WriteServiceKey(w, Key);
        }
    }

    /// <summary>ipvsadm -C: deletes every service and real server.</summary>
    public sealed record TableFlush() : IpvsOperation(IpvsNetlink.IPVS_CMD_FLUSH)
    {
        public override string Describe() => "ipvsadm -C";
        public override string Target => "IPVS table";

        public override void Validate()
        {
        }

        private protected override void WriteAttributes(NetlinkWriter w)
        {
        }
    }

    /// <summary>ipvsadm --set: the connection timeouts (0 = unchanged).</summary>
    public sealed record TimeoutsSet(LvsTimeouts Timeouts) : IpvsOperation(IpvsNetlink.IPVS_CMD_SET_CONFIG)
    {
        public override string Describe() => "ipvsadm --set " + IpvsadmSyntax.TimeoutArguments(Timeouts);
        public override string Target => "IPVS timeouts";
        public override void Validate() => IpvsValidation.Timeouts(Timeouts, Validation);
        private protected override void WriteAttributes(NetlinkWriter w) => IpvsCodec.WriteTimeouts(w, Timeouts);
    }

    /// <summary>ipvsadm --start-daemon.</summary>
    public sealed record SyncDaemonStart(LvsSyncDaemon SyncDaemon) : IpvsOperation(IpvsNetlink.IPVS_CMD_NEW_DAEMON)
    {
        public override string Describe() => $"ipvsadm --start-daemon {IpvsadmSyntax.DaemonStateName(SyncDaemon.State)}{IpvsadmSyntax.DaemonOptions(SyncDaemon)}";
        public override string Target => $"{IpvsadmSyntax.DaemonStateName(SyncDaemon.State)} sync daemon";
        public override void Validate() => IpvsValidation.SyncDaemon(SyncDaemon, Validation);
        private protected override void WriteAttributes(NetlinkWriter w) => IpvsCodec.WriteSyncDaemon(w, SyncDaemon);
    }

    /// <summary>ipvsadm --stop-daemon.</summary>
    public sealed record SyncDaemonStop(SyncDaemonState DaemonState) : IpvsOperation(IpvsNetlink.IPVS_CMD_DEL_DAEMON)
    {
        public override string Describe() => $"ipvsadm --stop-daemon {IpvsadmSyntax.DaemonStateName(DaemonState)}";
        public override string Target => $"{IpvsadmSyntax.DaemonStateName(DaemonState)} sync daemon";
        public override void Validate() => IpvsValidation.DaemonState(DaemonState);
        private protected override void WriteAttributes(NetlinkWriter w) => IpvsCodec.WriteSyncDaemonState(w, DaemonState);
    }
}
