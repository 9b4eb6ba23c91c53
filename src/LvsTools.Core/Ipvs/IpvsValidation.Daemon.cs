using System.Net;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;

namespace LvsTools.Core.Ipvs;

// Connection timeouts and sync daemons.
public static partial class IpvsValidation
{
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
