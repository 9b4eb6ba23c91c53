using System.Net;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// Checks values before they reach the kernel, so that a mistake gets an error naming the value instead of a bare
/// EINVAL / ERANGE. Every failure is an <see cref="LvsException"/> of kind InvalidArgument with a stable id.
/// The limits are the kernel's (ip_vs_ctl.c, Linux 6.1) and ipvsadm 1.31's, whichever is stricter; each check says which.
/// </summary>
public static class IpvsValidation
{
    /// <summary>
    /// The schedulers of the mainline kernel (net/netfilter/ipvs/ip_vs_*.c): rr wrr lc wlc lblc lblcr dh sh sed nq fo
    /// ovf mh, twos (Linux ≥ 6.2, some stable kernels), and "none" (a service without a scheduler, Linux ≥ 4.? ; the
    /// kernel reports it for such services).
    /// </summary>
    public static readonly IReadOnlyList<string> KnownSchedulers =
        ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos", "none"];

    /// <summary>Persistence engines of the mainline kernel (ip_vs_pe_sip).</summary>
    public static readonly IReadOnlyList<string> KnownPersistenceEngines = ["sip"];

    /// <summary>ipvsadm's MAX_TIMEOUT: 31 days, for persistence and connection timeouts.</summary>
    /// <summary>The largest weight (ipvsadm's documented range is 0 to 65535).</summary>
    public const int MaxWeight = 65535;

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(86400 * 31);

    /// <summary>A known scheduler name (IP_VS_SCHEDNAME_MAXLEN: at most 15 characters).</summary>
    /// <exception cref="LvsException">InvalidScheduler.</exception>
    public static string Scheduler(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > IpvsNetlink.SchedulerNameMax - 1 || !KnownSchedulers.Contains(name))
            throw LvsException.Invalid("InvalidScheduler",
                $"'{name}' is not an IPVS scheduler: use one of {string.Join(", ", KnownSchedulers.Where(s => s != "none"))}.", name);
        return name;
    }

    /// <summary>A known persistence engine ("sip"), or null/empty for none.</summary>
    /// <exception cref="LvsException">InvalidPersistenceEngine.</exception>
    public static string? PersistenceEngine(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return null;
        if (name.Length > IpvsNetlink.PersistenceEngineNameMax || !KnownPersistenceEngines.Contains(name))
            throw LvsException.Invalid("InvalidPersistenceEngine",
                $"'{name}' is not an IPVS persistence engine: the kernel has only {string.Join(", ", KnownPersistenceEngines)}.", name);
        return name;
    }

    /// <summary>A firewall mark of 1 or more (0 means "no mark" to the kernel).</summary>
    /// <exception cref="LvsException">InvalidFirewallMark.</exception>
    public static uint FirewallMark(long mark)
    {
        if (mark < 1 || mark > uint.MaxValue)
            throw LvsException.Invalid("InvalidFirewallMark", $"Firewall mark {mark} is out of range: 1 to {uint.MaxValue}.", mark);
        return (uint)mark;
    }

    /// <summary>
    /// A service key the kernel can use: a firewall mark ≥ 1, or a protocol and an address of the key's family.
    /// </summary>
    /// <exception cref="LvsException">InvalidFirewallMark, InvalidServiceAddress.</exception>
    public static void Key(ServiceKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.IsFirewallMark)
            return;
        if (key.Protocol is null || key.Address is null)
            throw LvsException.Invalid("InvalidServiceAddress",
                "A virtual service needs a firewall mark, or a protocol (TCP, UDP, SCTP) and an address.", key.ToString());
        if (!Enum.IsDefined(key.Protocol.Value))
            throw LvsException.Invalid("InvalidServiceAddress", $"Protocol {(int)key.Protocol.Value} is not TCP, UDP or SCTP.", key.Protocol);
        if (IpvsNetlink.FamilyOf(key.Address) != key.Family)
            throw LvsException.Invalid("InvalidServiceAddress", $"Address {key.Address} is not {key.Family}.", key.Address);
    }

    /// <summary>
    /// Checks a service for NEW_SERVICE / SET_SERVICE: key, scheduler, persistence engine, port 0 only when persistent
    /// (ipvsadm: "Zero port specified for non-persistent service"), persistence timeout 1 s to 31 days when persistent
    /// (ipvsadm -p), netmask (IPv6: prefix 1-128, the kernel's EINVAL; IPv4: any mask the kernel accepts, holes included),
    /// one-packet scheduling only for UDP or fwmark services (ipvsadm), scheduler flags sh-/mh- only for sh/mh (ipvsadm -b).
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void Service(LvsService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var key = service.Key;
        if (service.FirewallMark is 0)
            throw LvsException.Invalid("InvalidFirewallMark", "Firewall mark 0 is out of range: 1 to 4294967295.", 0u);
        Key(key);
        Scheduler(service.Scheduler);
        PersistenceEngine(service.PersistenceEngine);
        if (!key.IsFirewallMark && key.Port == 0 && !service.Persistent)
            throw LvsException.Invalid("InvalidPort",
                $"Port 0 of {key} means 'any port', which IPVS allows only for a persistent service.", key.Port);
        if (service.Persistent)
            PersistenceTimeout(service.PersistenceTimeout);
        else if (service.PersistenceTimeout < TimeSpan.Zero || service.PersistenceTimeout > MaxTimeout)
            PersistenceTimeout(service.PersistenceTimeout);
        Netmask(service.AddressFamily, service.PersistenceNetmask);
        if (service.OnePacket && !key.IsFirewallMark && key.Protocol != IpvsProtocol.Udp)
            throw LvsException.Invalid("InvalidOnePacket",
                $"One-packet scheduling is only for UDP (or firewall-mark) services; {key} is {ServiceKey.ProtocolName(key.Protocol)}.", key.ToString());
    }

    /// <summary>A persistence timeout of 1 second to 31 days, in whole seconds (ipvsadm -p).</summary>
    /// <exception cref="LvsException">InvalidPersistenceTimeout.</exception>
    public static TimeSpan PersistenceTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.FromSeconds(1) || timeout > MaxTimeout || timeout.Ticks % TimeSpan.TicksPerSecond != 0)
            throw LvsException.Invalid("InvalidPersistenceTimeout",
                $"Persistence timeout {timeout} is out of range: whole seconds from 1 to {(int)MaxTimeout.TotalSeconds} (31 days).", timeout);
        return timeout;
    }

    /// <summary>
    /// A persistence netmask: for IPv6 a prefix length of 1 to 128 (the kernel answers anything else with EINVAL);
    /// for IPv4 any 32-bit mask (the kernel applies it bit by bit, so 255.0.255.0 is legal).
    /// </summary>
    /// <exception cref="LvsException">InvalidNetmask.</exception>
    public static uint Netmask(IPFamily family, uint netmask)
    {
        if (family == IPFamily.IPv6 && netmask is < 1 or > 128)
            throw LvsException.Invalid("InvalidNetmask", $"IPv6 persistence prefix length {netmask} is out of range: 1 to 128.", netmask);
        return netmask;
    }

    /// <summary>A prefix length for the persistence netmask: 0-32 for IPv4, 1-128 for IPv6.</summary>
    /// <exception cref="LvsException">InvalidNetmask.</exception>
    public static int PrefixLength(IPFamily family, int prefix)
    {
        int min = family == IPFamily.IPv6 ? 1 : 0, max = family == IPFamily.IPv6 ? 128 : 32;
        if (prefix < min || prefix > max)
            throw LvsException.Invalid("InvalidNetmask", $"Persistence prefix length {prefix} is out of range for {family}: {min} to {max}.", prefix);
        return prefix;
    }

    /// <summary>
    /// A weight of 0 to 65535, the range ipvsadm(8) documents. The kernel stores it in an int and answers only a negative
    /// one (ERANGE); Debian's ipvsadm 1.31 parses up to 2147483647.
    /// </summary>
    /// <exception cref="LvsException">InvalidWeight.</exception>
    public static int Weight(long weight)
    {
        // ipvsadm(8): "The valid values of weight are 0 through to 65535". The kernel itself only refuses negative
        // weights, but a weight above 65535 is a typo in every real configuration, and schedulers multiply weights.
        if (weight < 0 || weight > MaxWeight)
            throw LvsException.Invalid("InvalidWeight", $"Weight {weight} is out of range: 0 to {MaxWeight}.", weight);
        return (int)weight;
    }

    /// <summary>
    /// Connection thresholds: the upper one at most 2147483647 (kernel: EINVAL above INT_MAX), the lower one not above
    /// the upper one (kernel: ERANGE, even when the upper one is 0 = unlimited).
    /// </summary>
    /// <exception cref="LvsException">InvalidThreshold.</exception>
    public static void Thresholds(uint upper, uint lower)
    {
        if (upper > int.MaxValue)
            throw LvsException.Invalid("InvalidThreshold", $"Upper threshold {upper} is out of range: 0 to {int.MaxValue}.", upper);
        if (lower > upper)
            throw LvsException.Invalid("InvalidThreshold",
                $"Lower threshold {lower} is above the upper threshold {upper}" + (upper == 0 ? " (0 = none: set an upper threshold first)." : "."), lower);
    }

    /// <summary>
    /// Checks a real server for NEW_DEST / SET_DEST: forwarding method (Masquerade, Route, Tunnel: what ipvsadm can set),
    /// weight, thresholds, family (a family other than the service's only with Tunnel: ip_vs_genl_set_cmd answers EINVAL,
    /// and ipvsadm refuses it too), tunnel options only with Tunnel, GUE needs a port (kernel EINVAL), checksum options
    /// as ipvsadm allows them (none for ipip, remote checksum only for GUE), port 0 only for fwmark services (or services on port 0), and the service's port with Route or Tunnel.
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void RealServer(LvsRealServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Key(server.Service);
        if (server.ForwardingMethod is not (ForwardingMethod.Masquerade or ForwardingMethod.Route or ForwardingMethod.Tunnel))
            throw LvsException.Invalid("InvalidForwardingMethod",
                $"Forwarding method {server.ForwardingMethod} cannot be set: use Masquerade, Route or Tunnel.", server.ForwardingMethod);
        Weight(server.Weight);
        Thresholds(server.UpperThreshold, server.LowerThreshold);
        var ab = server.Address.GetAddressBytes();
        bool v4 = ab.Length == 4;
        if (server.Address.Equals(System.Net.IPAddress.Any) || server.Address.Equals(System.Net.IPAddress.IPv6Any) ||
            server.Address.Equals(System.Net.IPAddress.Broadcast) || (v4 ? ab[0] >= 224 : ab[0] == 0xff))
            throw LvsException.Invalid("InvalidRealServerAddress",
                $"Real server {server.Address} is not a unicast address (the kernel answers EINVAL).", server.Address);
        if (IpvsNetlink.FamilyOf(server.Address) != server.AddressFamily)
            throw LvsException.Invalid("InvalidRealServerFamily", $"Address {server.Address} is not {server.AddressFamily}.", server.Address);
        if (server.AddressFamily != server.Service.Family && server.ForwardingMethod != ForwardingMethod.Tunnel)
            throw LvsException.Invalid("InvalidRealServerFamily",
                $"Real server {server.Address} is {server.AddressFamily} but service {server.Service} is {server.Service.Family}: " +
                "different address families are allowed only with tunnel forwarding.", server.Address);
        if (!server.Service.IsFirewallMark)
        {
            if (server.Port == 0 && server.Service.Port != 0)
                throw LvsException.Invalid("InvalidPort",
                    $"Real server port 0 is only allowed for firewall-mark services and services on port 0; {server.Service} is on port {server.Service.Port}.", server.Port);
            if (server.ForwardingMethod is ForwardingMethod.Route or ForwardingMethod.Tunnel && server.Port != server.Service.Port)
                throw LvsException.Invalid("InvalidPort",
                    $"With {server.ForwardingMethod} forwarding packets reach the real server unchanged, so its port must be the service's " +
                    $"port {server.Service.Port}, not {server.Port} (ipvsadm forces it); only Masquerade can change the port.", server.Port);
        }
        bool tunnel = server.ForwardingMethod == ForwardingMethod.Tunnel;
        if (!tunnel && (server.TunnelType is not null || server.TunnelPort is not null || server.TunnelChecksum is not null))
            throw LvsException.Invalid("InvalidTunnelOption",
                $"Tunnel type, port and checksum apply only to tunnel forwarding, not {server.ForwardingMethod}.", server.ForwardingMethod);
        if (tunnel)
        {
            var type = server.TunnelType ?? TunnelType.IpIp;
            if (!Enum.IsDefined(type))
                throw LvsException.Invalid("InvalidTunnelOption", $"Tunnel type {(int)type} is not IpIp, Gue or Gre.", type);
            if (type == TunnelType.Gue && server.TunnelPort is null or 0)
                throw LvsException.Invalid("InvalidTunnelOption", $"A GUE tunnel needs a tunnel port (1 to 65535); {server.Endpoint} has none.", server.Endpoint);
            if (type != TunnelType.Gue && server.TunnelPort is not null and not 0)
                throw LvsException.Invalid("InvalidTunnelOption", $"A tunnel port applies only to GUE, not {type}.", server.TunnelPort);
            if (type == TunnelType.IpIp && server.TunnelChecksum is not null and not TunnelChecksum.None)
                throw LvsException.Invalid("InvalidTunnelOption", "An ipip tunnel has no checksum options.", server.TunnelChecksum);
            if (type == TunnelType.Gre && server.TunnelChecksum == TunnelChecksum.RemoteChecksum)
                throw LvsException.Invalid("InvalidTunnelOption", "Remote checksum offload applies only to GUE tunnels.", server.TunnelChecksum);
            if (server.TunnelChecksum is { } c && !Enum.IsDefined(c))
                throw LvsException.Invalid("InvalidTunnelOption", $"Tunnel checksum {(int)c} is not None, Checksum or RemoteChecksum.", c);
        }
    }

    /// <summary>Connection timeouts: each 0 (= unchanged) to 31 days, whole seconds (ipvsadm --set).</summary>
    /// <exception cref="LvsException">InvalidTimeout.</exception>
    public static void Timeouts(LvsTimeouts timeouts)
    {
        ArgumentNullException.ThrowIfNull(timeouts);
        foreach (var (name, t) in new[] { ("TCP", timeouts.Tcp), ("TCP FIN", timeouts.TcpFin), ("UDP", timeouts.Udp) })
        {
            if (t < TimeSpan.Zero || t > MaxTimeout || t.Ticks % TimeSpan.TicksPerSecond != 0)
                throw LvsException.Invalid("InvalidTimeout",
                    $"{name} timeout {t} is out of range: whole seconds from 0 (unchanged) to {(int)MaxTimeout.TotalSeconds} (31 days).", t);
        }
    }

    /// <summary>
    /// A sync daemon for NEW_DAEMON: state master or backup, an interface name of 1-15 characters, sync id 0-255,
    /// sync-maxlen 1-65507, a multicast group that is multicast (kernel EINVAL otherwise), port and TTL ≥ 1 (ipvsadm).
    /// </summary>
    /// <exception cref="LvsException">InvalidSyncDaemon.</exception>
    public static void SyncDaemon(LvsSyncDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        if (daemon.State is not (SyncDaemonState.Master or SyncDaemonState.Backup))
            throw LvsException.Invalid("InvalidSyncDaemon", $"Sync daemon state {(int)daemon.State} is neither Master nor Backup.", daemon.State);
        if (!Route.RouteClient.IsValidInterfaceName(daemon.MulticastInterface))
            throw LvsException.Invalid("InvalidSyncDaemon", $"'{daemon.MulticastInterface}' is not a valid interface name (1 to 15 characters).", daemon.MulticastInterface);
        if (daemon.SyncId > 255)
            throw LvsException.Invalid("InvalidSyncDaemon", $"Sync id {daemon.SyncId} is out of range: 0 to 255.", daemon.SyncId);
        if (daemon.SyncMaxLength is 0 or > 65535 - 20 - 8)
            throw LvsException.Invalid("InvalidSyncDaemon", $"Sync message length {daemon.SyncMaxLength} is out of range: 1 to 65507.", daemon.SyncMaxLength);
        if (daemon.MulticastGroup is { } g && !IsMulticast(g))
            throw LvsException.Invalid("InvalidSyncDaemon", $"{g} is not a multicast address.", g);
        if (daemon.MulticastPort is 0)
            throw LvsException.Invalid("InvalidSyncDaemon", "Multicast port 0 is out of range: 1 to 65535.", 0);
        if (daemon.MulticastTtl is 0)
            throw LvsException.Invalid("InvalidSyncDaemon", "Multicast TTL 0 is out of range: 1 to 255.", 0);
    }

    private static bool IsMulticast(IPAddress a) => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? a.IsIPv6Multicast
        : (a.GetAddressBytes()[0] & 0xf0) == 0xe0;

    /// <summary>A sync daemon state to stop.</summary>
    /// <exception cref="LvsException">InvalidSyncDaemon.</exception>
    public static void DaemonState(SyncDaemonState state)
    {
        if (state is not (LvsTools.SyncDaemonState.Master or LvsTools.SyncDaemonState.Backup))
            throw LvsException.Invalid("InvalidSyncDaemon", $"Sync daemon state {(int)state} is neither Master nor Backup.", state);
    }
}
