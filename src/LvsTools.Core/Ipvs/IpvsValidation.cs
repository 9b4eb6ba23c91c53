using System.Net;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// Checks values before they reach the kernel, so that a mistake gets an error naming the value instead of a bare
/// EINVAL / ERANGE. Every failure is an <see cref="LvsException"/> of kind InvalidArgument with a stable id.
/// Two levels (<see cref="ValidationLevel"/>): <see cref="ValidationLevel.Kernel"/> refuses only what the kernel itself
/// refuses (ip_vs_ctl.c of Linux 6.1, each limit measured in the UML kernel: tests/Pester/LvsForeignTable.Tests.ps1), so
/// that whatever a kernel holds, whoever wrote it, can be restored and edited; <see cref="ValidationLevel.Create"/> adds
/// ipvsadm 1.31's stricter rules for what a user asks to create. Each check says which level it belongs to and why.
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

    /// <summary>The largest weight a user can set (ipvsadm(8): "0 through to 65535"; Create level).</summary>
    public const int MaxWeight = 65535;

    /// <summary>ipvsadm's MAX_TIMEOUT: 31 days, the longest persistence timeout a user can set (Create level).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(86400 * 31);

    /// <summary>
    /// The longest connection timeout (ipvsadm --set) every kernel accepts: ip_vs_set_timeout answers EINVAL above
    /// INT_MAX / HZ seconds, which is 2147483 s (24 days 20:31:23) with HZ=1000 (Create level: valid everywhere).
    /// </summary>
    public static readonly TimeSpan MaxConnectionTimeout = TimeSpan.FromSeconds(int.MaxValue / 1000);

    /// <summary>
    /// The longest connection timeout any kernel accepts: INT_MAX / HZ with the smallest usual HZ, 100 (21474836 s; the
    /// UML kernel, HZ=100, accepts 21474836 and refuses 21474837). Kernel level; a kernel with a larger HZ refuses less.
    /// </summary>
    public static readonly TimeSpan MaxKernelConnectionTimeout = TimeSpan.FromSeconds(int.MaxValue / 100);

    /// <summary>
    /// A scheduler name. Create: a known scheduler. Kernel: any name of 1 to 15 characters (IP_VS_SCHEDNAME_MAXLEN; the
    /// kernel answers a scheduler it cannot load with ENOENT, which <see cref="IpvsOperation.Translate"/> names).
    /// </summary>
    /// <exception cref="LvsException">InvalidScheduler.</exception>
    public static string Scheduler(string? name, ValidationLevel level = ValidationLevel.Create)
    {
        if (string.IsNullOrEmpty(name) || name.Length > IpvsNetlink.SchedulerNameMax - 1
            || (level == ValidationLevel.Create && !KnownSchedulers.Contains(name)))
            throw LvsException.Invalid("InvalidScheduler",
                $"'{name}' is not an IPVS scheduler: use one of {string.Join(", ", KnownSchedulers.Where(s => s != "none"))}.", name);
        return name;
    }

    /// <summary>
    /// A persistence engine, or null/empty for none. Create: a known engine ("sip"). Kernel: any name of at most 15
    /// characters (IP_VS_PENAME_MAXLEN; an engine the kernel cannot load is its ENOENT).
    /// </summary>
    /// <exception cref="LvsException">InvalidPersistenceEngine.</exception>
    public static string? PersistenceEngine(string? name, ValidationLevel level = ValidationLevel.Create)
    {
        if (string.IsNullOrEmpty(name))
            return null;
        if (name.Length > IpvsNetlink.PersistenceEngineNameMax - 1 || (level == ValidationLevel.Create && !KnownPersistenceEngines.Contains(name)))
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
    /// Checks a service for NEW_SERVICE / SET_SERVICE.
    /// Both levels (the kernel refuses or cannot encode it): firewall mark ≥ 1, the key, a scheduler and engine name
    /// of at most 15 characters, whole seconds of persistence timeout up to 4294967295 (u32), the IPv6 persistence
    /// prefix 1-128 (EINVAL).
    /// Create only (ipvsadm's rules; the kernel accepts each, measured): a known scheduler and engine; a unicast
    /// service address (<see cref="IPNetworkMath.NotUnicastReason"/>, the rule Add-LvsVirtualIp applies to a VIP);
    /// port 0 only when persistent ("Zero port specified for non-persistent service"); a persistence timeout of 1 s to
    /// 31 days when persistent; one-packet scheduling only for UDP or fwmark services. Scheduler flag bits are not checked
    /// here: ipvsadm -b takes flag-1..3 for any scheduler; the names sh-* / mh-* are checked where they are parsed.
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void Service(LvsService service, ValidationLevel level = ValidationLevel.Create)
    {
        ArgumentNullException.ThrowIfNull(service);
        var key = service.Key;
        bool create = level == ValidationLevel.Create;
        if (service.FirewallMark is 0)
            throw LvsException.Invalid("InvalidFirewallMark", "Firewall mark 0 is out of range: 1 to 4294967295.", 0u);
        Key(key);
        Scheduler(service.Scheduler, level);
        PersistenceEngine(service.PersistenceEngine, level);
        if (create && !key.IsFirewallMark && IPNetworkMath.NotUnicastReason(key.Address!) is { } why)
            throw LvsException.Invalid("InvalidServiceAddress",
                $"Virtual service address {key.Address} is {why}: a virtual service needs a unicast address, as a virtual IP does.", key.Address);
        if (create && !key.IsFirewallMark && key.Port == 0 && !service.Persistent)
            throw LvsException.Invalid("InvalidPort",
                $"Port 0 of {key} means 'any port', which IPVS allows only for a persistent service.", key.Port);
        if (create && service.Persistent)
            PersistenceTimeout(service.PersistenceTimeout);
        else if (service.PersistenceTimeout < TimeSpan.Zero || service.PersistenceTimeout.Ticks % TimeSpan.TicksPerSecond != 0
                 || service.PersistenceTimeout > (create ? MaxTimeout : TimeSpan.FromSeconds(uint.MaxValue)))
            PersistenceTimeout(service.PersistenceTimeout, level);
        Netmask(service.AddressFamily, service.PersistenceNetmask);
        if (!create)
            return;
        if (service.OnePacket && !key.IsFirewallMark && key.Protocol != IpvsProtocol.Udp)
            throw LvsException.Invalid("InvalidOnePacket",
                $"One-packet scheduling is only for UDP (or firewall-mark) services; {key} is {ServiceKey.ProtocolName(key.Protocol)}.", key.ToString());
    }

    /// <summary>
    /// A persistence timeout in whole seconds. Create: 1 second to 31 days (ipvsadm -p). Kernel: 0 to 4294967295 (the
    /// kernel takes any u32; it keeps timeout × HZ in 32 bits, so it reads back only values below 2^32 / HZ unchanged).
    /// </summary>
    /// <exception cref="LvsException">InvalidPersistenceTimeout.</exception>
    public static TimeSpan PersistenceTimeout(TimeSpan timeout, ValidationLevel level = ValidationLevel.Create)
    {
        bool create = level == ValidationLevel.Create;
        var (min, max) = create ? (TimeSpan.FromSeconds(1), MaxTimeout) : (TimeSpan.Zero, TimeSpan.FromSeconds(uint.MaxValue));
        if (timeout < min || timeout > max || timeout.Ticks % TimeSpan.TicksPerSecond != 0)
            throw LvsException.Invalid("InvalidPersistenceTimeout",
                $"Persistence timeout {timeout} is out of range: whole seconds from {(int)min.TotalSeconds} to {(long)max.TotalSeconds}" +
                (create ? " (31 days)." : "."), timeout);
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
    /// A weight. Create: 0 to 65535, the range ipvsadm(8) documents (a weight above it is a typo in every real
    /// configuration, and schedulers multiply weights). Kernel: 0 to 2147483647 (the kernel keeps an int and answers a
    /// negative one with ERANGE; keepalived and raw clients write more than 65535).
    /// </summary>
    /// <exception cref="LvsException">InvalidWeight.</exception>
    public static int Weight(long weight, ValidationLevel level = ValidationLevel.Create)
    {
        long max = level == ValidationLevel.Create ? MaxWeight : int.MaxValue;
        if (weight < 0 || weight > max)
            throw LvsException.Invalid("InvalidWeight", $"Weight {weight} is out of range: 0 to {max}.", weight);
        return (int)weight;
    }

    /// <summary>
    /// Connection thresholds. Both levels: the lower one not above the upper one (the kernel answers ERANGE, even when
    /// the upper one is 0 = unlimited). Create: the upper one at most 2147483647 (the kernel compares it with an int
    /// connection count, so a larger one never limits). Kernel: any u32 (the kernel stores and reports it).
    /// </summary>
    /// <exception cref="LvsException">InvalidThreshold.</exception>
    public static void Thresholds(uint upper, uint lower, ValidationLevel level = ValidationLevel.Create)
    {
        if (level == ValidationLevel.Create && upper > int.MaxValue)
            throw LvsException.Invalid("InvalidThreshold", $"Upper threshold {upper} is out of range: 0 to {int.MaxValue}.", upper);
        if (lower > upper)
            throw LvsException.Invalid("InvalidThreshold",
                $"Lower threshold {lower} is above the upper threshold {upper}" + (upper == 0 ? " (0 = none: set an upper threshold first)." : "."), lower);
    }

    /// <summary>
    /// Why the kernel refuses <paramref name="address"/> as a real server (ip_vs_new_dest: EINVAL unless inet_addr_type
    /// is unicast or local, or ipv6_addr_type unicast), or null. Measured in the UML kernel: 0.0.0.0, 255.255.255.255,
    /// 224.0.0.0/4, ::, ff00::/8 and ::ffff:a.b.c.d are refused; 240.0.0.0/4, 0.0.0.1 and 127.0.0.1 are accepted. (A
    /// subnet's directed broadcast and a non-local IPv6 link-local address are refused too; that depends on the
    /// namespace's addresses, and the kernel's EINVAL says it.)
    /// </summary>
    private static string? KernelRefusedRealServer(IPAddress address)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return "the unspecified address";
        if (address.Equals(IPAddress.Broadcast))
            return "the limited broadcast address";
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.GetAddressBytes()[0] is >= 224 and <= 239 : address.IsIPv6Multicast)
            return "a multicast address";
        if (address.IsIPv4MappedToIPv6)
            return $"an IPv4-mapped IPv6 address (use {address.MapToIPv4()} itself)";
        return null;
    }

    /// <summary>
    /// Checks a real server for NEW_DEST / SET_DEST.
    /// Both levels (the kernel refuses it, measured in the UML kernel): the service key; a forwarding method the kernel
    /// knows (Masquerade, Local, Tunnel, Route, Bypass); a weight 0 to 2147483647 (ERANGE); the lower threshold not
    /// above the upper one (ERANGE); a unicast address (EINVAL); the address's family; a family other than the
    /// service's only with Tunnel (EINVAL); a GUE tunnel needs a tunnel port (EINVAL).
    /// Create only (ipvsadm's rules; the kernel accepts each): forwarding Masquerade, Route or Tunnel (what ipvsadm can
    /// set; the kernel itself reports a local address as Local); weight 0 to 65535; upper threshold up to 2147483647;
    /// no reserved 240.0.0.0/4 address; tunnel options only with Tunnel, a tunnel port only for GUE, no checksum option
    /// for ipip, remote checksum only for GUE; port 0 only for fwmark services (or services on port 0); and with Route
    /// or Tunnel the service's port (ipvsadm forces it: packets reach the real server unchanged).
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void RealServer(LvsRealServer server, ValidationLevel level = ValidationLevel.Create)
    {
        ArgumentNullException.ThrowIfNull(server);
        bool create = level == ValidationLevel.Create;
        Key(server.Service);
        if (create ? server.ForwardingMethod is not (ForwardingMethod.Masquerade or ForwardingMethod.Route or ForwardingMethod.Tunnel)
                   : !Enum.IsDefined(server.ForwardingMethod))
            throw LvsException.Invalid("InvalidForwardingMethod",
                $"Forwarding method {server.ForwardingMethod} cannot be set: use Masquerade, Route or Tunnel.", server.ForwardingMethod);
        Weight(server.Weight, level);
        Thresholds(server.UpperThreshold, server.LowerThreshold, level);
        if (KernelRefusedRealServer(server.Address) is { } why)
            throw LvsException.Invalid("InvalidRealServerAddress",
                $"Real server {server.Address} is {why}, not a unicast address (the kernel answers EINVAL).", server.Address);
        if (create && server.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && server.Address.GetAddressBytes()[0] >= 240)
            throw LvsException.Invalid("InvalidRealServerAddress",
                $"Real server {server.Address} is a reserved address (240.0.0.0/4), not a unicast address a real server can have.", server.Address);
        if (IpvsNetlink.FamilyOf(server.Address) != server.AddressFamily)
            throw LvsException.Invalid("InvalidRealServerFamily", $"Address {server.Address} is not {server.AddressFamily}.", server.Address);
        if (server.AddressFamily != server.Service.Family && server.ForwardingMethod != ForwardingMethod.Tunnel)
            throw LvsException.Invalid("InvalidRealServerFamily",
                $"Real server {server.Address} is {server.AddressFamily} but service {server.Service} is {server.Service.Family}: " +
                "different address families are allowed only with tunnel forwarding.", server.Address);
        bool tunnel = server.ForwardingMethod == ForwardingMethod.Tunnel;
        if (tunnel && server.TunnelType is { } tt && !Enum.IsDefined(tt))
            throw LvsException.Invalid("InvalidTunnelOption", $"Tunnel type {(int)tt} is not IpIp, Gue or Gre.", tt);
        if (tunnel && server.TunnelChecksum is { } c && !Enum.IsDefined(c))
            throw LvsException.Invalid("InvalidTunnelOption", $"Tunnel checksum {(int)c} is not None, Checksum or RemoteChecksum.", c);
        if (tunnel && server.TunnelType == TunnelType.Gue && server.TunnelPort is null or 0)
            throw LvsException.Invalid("InvalidTunnelOption", $"A GUE tunnel needs a tunnel port (1 to 65535); {server.Endpoint} has none.", server.Endpoint);
        if (!create)
            return;
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
        if (!tunnel && (server.TunnelType is not null || server.TunnelPort is not null || server.TunnelChecksum is not null))
            throw LvsException.Invalid("InvalidTunnelOption",
                $"Tunnel type, port and checksum apply only to tunnel forwarding, not {server.ForwardingMethod}.", server.ForwardingMethod);
        if (tunnel)
        {
            var type = server.TunnelType ?? TunnelType.IpIp;
            if (type != TunnelType.Gue && server.TunnelPort is not null and not 0)
                throw LvsException.Invalid("InvalidTunnelOption", $"A tunnel port applies only to GUE, not {type}.", server.TunnelPort);
            if (type == TunnelType.IpIp && server.TunnelChecksum is not null and not TunnelChecksum.None)
                throw LvsException.Invalid("InvalidTunnelOption", "An ipip tunnel has no checksum options.", server.TunnelChecksum);
            if (type == TunnelType.Gre && server.TunnelChecksum == TunnelChecksum.RemoteChecksum)
                throw LvsException.Invalid("InvalidTunnelOption", "Remote checksum offload applies only to GUE tunnels.", server.TunnelChecksum);
        }
    }

    /// <summary>
    /// Checks an edit of an existing real server (Set-LvsRealServer): what the kernel already holds is kept, whoever wrote
    /// it, so <paramref name="changed"/> as a whole is checked at Kernel level, and only what differs from
    /// <paramref name="current"/> is held to the Create rules: a new forwarding method (with the port rules it brings), a
    /// new weight, new thresholds, new tunnel options. A foreign Route server on port 8080 of a :80 service can thus be
    /// drained (-Weight 0) and keeps its port, while -Weight 70000 or -ForwardingMethod Local are still refused.
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void RealServerChange(LvsRealServer current, LvsRealServer changed)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changed);
        RealServer(changed, ValidationLevel.Kernel);
        bool methodChanged = changed.ForwardingMethod != current.ForwardingMethod;
        bool tunnelChanged = methodChanged || changed.TunnelType != current.TunnelType || changed.TunnelPort != current.TunnelPort
            || changed.TunnelChecksum != current.TunnelChecksum;
        if (changed.Weight != current.Weight)
            Weight(changed.Weight);
        if (changed.UpperThreshold != current.UpperThreshold || changed.LowerThreshold != current.LowerThreshold)
            Thresholds(changed.UpperThreshold, changed.LowerThreshold);
        if (methodChanged || tunnelChanged)
        {
            // The Create rules of forwarding, port and tunnel options together, on the server with its other values
            // made neutral (they were checked above and may be foreign values that stay).
            RealServer(new LvsRealServer
            {
                Service = changed.Service, Address = changed.Address, Port = changed.Port, AddressFamily = changed.AddressFamily,
                ForwardingMethod = changed.ForwardingMethod, TunnelType = changed.TunnelType, TunnelPort = changed.TunnelPort,
                TunnelChecksum = changed.TunnelChecksum, Weight = Math.Min(changed.Weight, MaxWeight),
            });
        }
    }

    /// <summary>
    /// Checks an edit of an existing service (Set-LvsService) like <see cref="RealServerChange"/>: the whole at Kernel
    /// level, and the Create rules for what changes: a new scheduler or persistence engine must be a known one, a new
    /// persistence timeout (or persistence turned on) 1 s to 31 days, persistence turned off only where port 0 allows it,
    /// one-packet scheduling turned on only for UDP or fwmark services.
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void ServiceChange(LvsService current, LvsService changed)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changed);
        Service(changed, ValidationLevel.Kernel);
        var key = changed.Key;
        if (changed.Scheduler != current.Scheduler)
            Scheduler(changed.Scheduler);
        if (changed.PersistenceEngine != current.PersistenceEngine)
            PersistenceEngine(changed.PersistenceEngine);
        if (changed.Persistent && (!current.Persistent || changed.PersistenceTimeout != current.PersistenceTimeout))
            PersistenceTimeout(changed.PersistenceTimeout);
        if (!changed.Persistent && current.Persistent && !key.IsFirewallMark && key.Port == 0)
            throw LvsException.Invalid("InvalidPort",
                $"Port 0 of {key} means 'any port', which IPVS allows only for a persistent service: it cannot stop being persistent.", key.Port);
        if (changed.OnePacket && !current.OnePacket && !key.IsFirewallMark && key.Protocol != IpvsProtocol.Udp)
            throw LvsException.Invalid("InvalidOnePacket",
                $"One-packet scheduling is only for UDP (or firewall-mark) services; {key} is {ServiceKey.ProtocolName(key.Protocol)}.", key.ToString());
    }

    /// <summary>
    /// Connection timeouts (ipvsadm --set), whole seconds, 0 = unchanged. The kernel (ip_vs_set_timeout) answers EINVAL
    /// above INT_MAX / HZ seconds, and HZ is the kernel's build choice: Create allows what every kernel accepts, up to
    /// 2147483 s (24 days 20:31:23, HZ=1000); Kernel up to 21474836 s (HZ=100, the smallest usual HZ).
    /// </summary>
    /// <exception cref="LvsException">InvalidTimeout.</exception>
    public static void Timeouts(LvsTimeouts timeouts, ValidationLevel level = ValidationLevel.Create)
    {
        ArgumentNullException.ThrowIfNull(timeouts);
        var max = level == ValidationLevel.Create ? MaxConnectionTimeout : MaxKernelConnectionTimeout;
        foreach (var (name, t) in new[] { ("TCP", timeouts.Tcp), ("TCP FIN", timeouts.TcpFin), ("UDP", timeouts.Udp) })
        {
            if (t < TimeSpan.Zero || t > max || t.Ticks % TimeSpan.TicksPerSecond != 0)
                throw LvsException.Invalid("InvalidTimeout",
                    $"{name} timeout {t.TotalSeconds:0.###} s ({t}) is out of range: whole seconds from 0 (unchanged) to {(int)max.TotalSeconds} ({max}); " +
                    (level == ValidationLevel.Create
                        ? "the kernel refuses more than INT_MAX/HZ seconds, which is this with HZ=1000."
                        : "the kernel refuses more than INT_MAX/HZ seconds, and HZ is at least 100."), t);
        }
    }

    /// <summary>
    /// A sync daemon for NEW_DAEMON.
    /// Both levels (the kernel refuses it): state master or backup (EINVAL), an interface name of 1-15 characters, a
    /// multicast group that is multicast (EINVAL).
    /// Create only: sync id 0-255 (ipvsadm; the sync message header carries 8 bits, though the kernel keeps any u32);
    /// sync-maxlen within what the kernel keeps unchanged: 1 (backup: 1024) to 65535 minus the IP and UDP headers, 65507
    /// for IPv4, 65487 for an IPv6 group (the kernel silently clamps other values, measured); port and TTL ≥ 1 (the kernel
    /// reads 0 as "default", 8848 and 1).
    /// </summary>
    /// <exception cref="LvsException">InvalidSyncDaemon.</exception>
    public static void SyncDaemon(LvsSyncDaemon daemon, ValidationLevel level = ValidationLevel.Create)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        if (daemon.State is not (SyncDaemonState.Master or SyncDaemonState.Backup))
            throw LvsException.Invalid("InvalidSyncDaemon", $"Sync daemon state {(int)daemon.State} is neither Master nor Backup.", daemon.State);
        if (!Route.RouteClient.IsValidInterfaceName(daemon.MulticastInterface))
            throw LvsException.Invalid("InvalidSyncDaemon", $"'{daemon.MulticastInterface}' is not a valid interface name (1 to 15 characters).", daemon.MulticastInterface);
        if (daemon.MulticastGroup is { } g && !IsMulticast(g))
            throw LvsException.Invalid("InvalidSyncDaemon", $"{g} is not a multicast address.", g);
        if (level != ValidationLevel.Create)
            return;
        if (daemon.SyncId > 255)
            throw LvsException.Invalid("InvalidSyncDaemon", $"Sync id {daemon.SyncId} is out of range: 0 to 255.", daemon.SyncId);
        bool v6 = daemon.MulticastGroup?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        // The kernel clamps a backup's maxlen to at least 1024 (measured); a master's it keeps from 1 byte up.
        int maxLen = 65535 - (v6 ? 40 : 20) - 8, minLen = daemon.State == SyncDaemonState.Backup ? 1024 : 1;
        if (daemon.SyncMaxLength is { } len && (len < minLen || len > maxLen))
            throw LvsException.Invalid("InvalidSyncDaemon",
                $"Sync message length {len} is out of range for a{(daemon.State == SyncDaemonState.Backup ? " backup" : " master")} with an " +
                $"{(v6 ? "IPv6" : "IPv4")} group: {minLen} to {maxLen} (the kernel would silently use {Math.Clamp((int)len, minLen, maxLen)}).", len);
        if (daemon.MulticastPort is 0)
            throw LvsException.Invalid("InvalidSyncDaemon", "Multicast port 0 is out of range: 1 to 65535 (the kernel would use its default, 8848).", 0);
        if (daemon.MulticastTtl is 0)
            throw LvsException.Invalid("InvalidSyncDaemon", "Multicast TTL 0 is out of range: 1 to 255 (the kernel would use its default, 1).", 0);
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
