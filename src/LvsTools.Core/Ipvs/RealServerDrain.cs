using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools;

/// <summary>Where a drain stands after a poll.</summary>
public enum RealServerDrainState
{
    /// <summary>Weight 0, connections left, time left: poll again.</summary>
    Waiting,
    /// <summary>Its connections reached 0 (or it needed no wait: UDP) and it was deleted.</summary>
    Completed,
    /// <summary>The timeout passed with connections left and it was deleted.</summary>
    TimedOut,
    /// <summary>Someone else deleted the real server (or its service) first; nothing was sent.</summary>
    Gone,
}

/// <summary>
/// One poll of a drain: the real server as the kernel held it at that poll (its counts), and the verdict.
/// </summary>
public sealed record RealServerDrainStatus(
    LvsRealServer Server, uint ActiveConnections, uint InactiveConnections, TimeSpan Elapsed, TimeSpan Remaining, RealServerDrainState State)
{
    /// <summary>Persistence templates still pointing at the server (they keep sending the clients they stand for to it).</summary>
    public uint PersistentConnections { get; init; }

    /// <summary>True once the drain is over (deleted by it or by someone else).</summary>
    public bool Finished => State != RealServerDrainState.Waiting;

    /// <summary>True when the server was deleted at the timeout with connections left.</summary>
    public bool TimedOut => State == RealServerDrainState.TimedOut;

    /// <summary>The network namespace of the real server (null: the current one).</summary>
    public string? NetNamespace => Server.NetNamespace;

    public override string ToString() =>
        $"{Server.Service} -> {Server.Endpoint}: {State}, {ActiveConnections} active, {InactiveConnections} inactive, {Elapsed:hh\\:mm\\:ss} elapsed";
}

/// <summary>
/// A graceful removal of one real server (kube-proxy's graceful termination): weight 0 so the scheduler sends it no new
/// connection, then wait until its active and inactive connections are 0 or the timeout passes, then delete it.
/// Non-blocking: <see cref="Start"/> sends the weight 0 and returns; each <see cref="Poll(IpvsClient, DateTimeOffset)"/>
/// reads the counts and deletes the server when the drain is over. Restartable: the state is the kernel's (weight 0)
/// plus <see cref="Started"/>, so a controller that restarts builds the drain again with <see cref="Resume"/>.
/// Equivalent to: ipvsadm -e -t VIP:PORT -r RIP:PORT -w 0; watch ipvsadm -Ln; ipvsadm -d -t VIP:PORT -r RIP:PORT.
/// </summary>
public sealed class RealServerDrain
{
    private RealServerDrain(LvsRealServer server, TimeSpan timeout, bool waitForUdp, DateTimeOffset started) =>
        (Server, Timeout, WaitForUdp, Started) = (server, timeout >= TimeSpan.Zero ? timeout
            : throw LvsException.Invalid("InvalidDrainTimeout", $"The drain timeout must be 0 or more; {timeout} is negative.", timeout), waitForUdp, started);

    /// <summary>The real server as it was when the drain started (its weight before the drain).</summary>
    public LvsRealServer Server { get; }

    /// <summary>How long it may keep connections before it is deleted anyway.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Wait for the connections of a UDP service too (by default a UDP server is deleted at the first poll).</summary>
    public bool WaitForUdp { get; }

    /// <summary>When the weight went to 0.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>When the server is deleted whatever its connections.</summary>
    public DateTimeOffset Deadline => Started + Timeout;

    /// <summary>False for a server of a UDP service unless <see cref="WaitForUdp"/>: UDP has no connection to finish.</summary>
    public bool WaitsForConnections => WaitForUdp || Server.Service.Protocol != IpvsProtocol.Udp;

    /// <summary>The weight-0 edit (what -WhatIf shows; what <see cref="Start"/> sends unless the weight already is 0).</summary>
    public static IpvsOperation QuiesceOperation(LvsRealServer server) =>
        IpvsOperation.EditRealServer(server with { Weight = 0 }) with { Validation = ValidationLevel.Kernel };

    /// <summary>The delete that ends a drain.</summary>
    public static IpvsOperation DeleteOperation(LvsRealServer server) => IpvsOperation.DeleteRealServer(server);

    /// <summary>
    /// Starts a drain: sets the weight to 0 (one write), unless it already is 0 (no write). <paramref name="server"/>
    /// should be as the kernel holds it now (its other settings are written back unchanged).
    /// </summary>
    /// <exception cref="LvsException">InvalidDrainTimeout; the kernel's refusal (e.g. the server does not exist).</exception>
    public static RealServerDrain Start(IpvsClient client, LvsRealServer server, TimeSpan timeout, bool waitForUdp, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(server);
        var drain = new RealServerDrain(server, timeout, waitForUdp, now);
        if (server.Weight != 0)
            client.Execute(QuiesceOperation(server));
        return drain;
    }

    /// <summary>
    /// A drain already under way (the server already at weight 0), e.g. after a restart: nothing is sent; the timeout
    /// counts from <paramref name="started"/>.
    /// </summary>
    public static RealServerDrain Resume(LvsRealServer server, TimeSpan timeout, bool waitForUdp, DateTimeOffset started)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new RealServerDrain(server, timeout, waitForUdp, started);
    }

    /// <summary>
    /// Reads the server's counts (one dump of its service's real servers), and deletes it (one write) when they are 0
    /// or the timeout passed. Nothing is sent while it waits.
    /// </summary>
    /// <exception cref="LvsException">The kernel refused the read or the delete (other than "no such server").</exception>
    public RealServerDrainStatus Poll(IpvsClient client, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(client);
        List<LvsRealServer> table;
        try
        {
            table = client.GetRealServers(Server.Service);
        }
        catch (Exception e) when (IsNotFound(e))
        {
            table = [];
        }
        return Poll(client, table, now);
    }

    /// <summary>
    /// As <see cref="Poll(IpvsClient, DateTimeOffset)"/>, with the real servers of the service already read (a controller
    /// that dumped its table this cycle; many drains of one service share one dump).
    /// </summary>
    public RealServerDrainStatus Poll(IpvsClient client, IReadOnlyCollection<LvsRealServer> realServers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(client);
        var status = Evaluate(Find(realServers), now);
        if (!status.Finished || status.State == RealServerDrainState.Gone)
            return status;
        try
        {
            client.Execute(DeleteOperation(Server));
        }
        catch (Exception e) when (IsNotFound(e))
        {
            return status with { State = RealServerDrainState.Gone };
        }
        return status;
    }

    /// <summary>
    /// The decision of a poll, without I/O: <paramref name="current"/> is the server as the kernel holds it now (null: not
    /// there). Completed and TimedOut mean "delete it now" (what <see cref="Poll(IpvsClient, DateTimeOffset)"/> then does).
    /// </summary>
    public RealServerDrainStatus Evaluate(LvsRealServer? current, DateTimeOffset now)
    {
        var elapsed = now - Started;
        if (elapsed < TimeSpan.Zero)
            elapsed = TimeSpan.Zero;
        var remaining = Timeout - elapsed;
        if (remaining < TimeSpan.Zero)
            remaining = TimeSpan.Zero;
        if (current is null)
            return new RealServerDrainStatus(Server, 0, 0, elapsed, remaining, RealServerDrainState.Gone);
        uint active = current.ActiveConnections, inactive = current.InactiveConnections;
        var state = !WaitsForConnections || active + (ulong)inactive == 0 ? RealServerDrainState.Completed
            : now >= Deadline ? RealServerDrainState.TimedOut
            : RealServerDrainState.Waiting;
        return new RealServerDrainStatus(current, active, inactive, elapsed, remaining, state)
        {
            PersistentConnections = current.PersistentConnections,
        };
    }

    private LvsRealServer? Find(IEnumerable<LvsRealServer> realServers) =>
        realServers.FirstOrDefault(r => r.Service == Server.Service && r.Address.Equals(Server.Address) && r.Port == Server.Port);

    /// <summary>ESRCH (no such service) or ENOENT (no such real server), raw or translated.</summary>
    private static bool IsNotFound(Exception e) =>
        e is NetlinkException { Errno: Errno.ESRCH or Errno.ENOENT } || e is LvsException { Kind: LvsErrorKind.NotFound }
        || e.InnerException is NetlinkException { Errno: Errno.ESRCH or Errno.ENOENT };
}
