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
public static partial class IpvsValidation
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
                $"One-packet scheduling is only for UDP (or firewall-mark) services; {key} is {IpvsadmSyntax.ProtocolName(key.Protocol)}.", key.ToString());
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
                $"One-packet scheduling is only for UDP (or firewall-mark) services; {key} is {IpvsadmSyntax.ProtocolName(key.Protocol)}.", key.ToString());
    }
}
