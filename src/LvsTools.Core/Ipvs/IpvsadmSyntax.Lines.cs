using System.Globalization;
using System.Text;

namespace LvsTools;

public static partial class IpvsadmSyntax
{
    // ---- services ----

    /// <summary>The service as the first column of `ipvsadm -Ln`: "TCP  10.0.0.1:80", "UDP  [2001:db8::1]:53", "FWM  7 IPv6".</summary>
    public static string FormatServiceKey(ServiceKey key) => key.IsFirewallMark
        ? $"FWM  {key.FirewallMark}" + (key.Family == IPFamily.IPv6 ? " IPv6" : "")
        : $"{ProtocolName(key.Protocol),-4} {FormatEndpoint(key.Address, key.Port)}";

    /// <summary>The ipvsadm option that names the service: "-t 10.0.0.1:80", "--sctp-service [::1]:80", "-f 7 -6".</summary>
    public static string ServiceArgument(ServiceKey key) => key.IsFirewallMark
        ? $"-f {key.FirewallMark}" + (key.Family == IPFamily.IPv6 ? " -6" : "")
        : key.Protocol switch
        {
            IpvsProtocol.Tcp => "-t ",
            IpvsProtocol.Udp => "-u ",
            IpvsProtocol.Sctp => "--sctp-service ",
            _ => "--xxx-service ",
        } + FormatEndpoint(key.Address, key.Port);

    /// <summary>The options after the service (-s, -p, -M, --pe, -o, -b), each with a leading blank, as `ipvsadm -S` writes them.</summary>
    public static string ServiceOptions(LvsService s)
    {
        var sb = new StringBuilder();
        sb.Append(" -s ").Append(s.Scheduler);
        if (s.Persistent)
            sb.Append(" -p ").Append(Seconds(s.PersistenceTimeout));
        if (s.PersistenceNetmask != DefaultNetmask(s.AddressFamily))
            sb.Append(" -M ").Append(FormatNetmask(s.AddressFamily, s.PersistenceNetmask));
        if (!string.IsNullOrEmpty(s.PersistenceEngine))
            sb.Append(" --pe ").Append(s.PersistenceEngine);
        if (s.OnePacket)
            sb.Append(" -o");
        var flagNames = FormatSchedulerFlags(s.Scheduler, s.Flags);
        if (flagNames.Count > 0)
            sb.Append(" -b ").Append(string.Join(',', flagNames));
        return sb.ToString();
    }

    /// <summary>A service rule line: "-A -t 10.0.0.1:80 -s rr -p 300" for <paramref name="command"/> "-A" (or "-E").</summary>
    public static string ServiceRule(string command, LvsService s) => $"{command} {ServiceArgument(s.Key)}{ServiceOptions(s)}";

    /// <summary>
    /// What `ipvsadm -Ln` prints after the scheduler's name: "(sh-fallback,sh-port) persistent 300 mask 255.255.255.0 pe sip ops"
    /// (empty for a plain service). The engine and the mask are shown with persistence, as ipvsadm does.
    /// </summary>
    public static string ListingFlags(LvsService s)
    {
        var parts = new List<string>(4);
        var flagNames = FormatSchedulerFlags(s.Scheduler, s.Flags);
        if (flagNames.Count > 0)
            parts.Add("(" + string.Join(',', flagNames) + ")");
        if (s.Persistent)
        {
            parts.Add("persistent " + Seconds(s.PersistenceTimeout).ToString(CultureInfo.InvariantCulture));
            if (s.PersistenceNetmask != DefaultNetmask(s.AddressFamily))
                parts.Add("mask " + FormatNetmask(s.AddressFamily, s.PersistenceNetmask));
            if (!string.IsNullOrEmpty(s.PersistenceEngine))
                parts.Add("pe " + s.PersistenceEngine);
        }
        if (s.OnePacket)
            parts.Add("ops");
        return string.Join(' ', parts);
    }

    /// <summary>The service as its line of `ipvsadm -Ln`: "TCP  10.0.0.1:80 sh (sh-port) persistent 300".</summary>
    public static string FormatService(LvsService s)
    {
        string flags = ListingFlags(s);
        return $"{FormatServiceKey(s.Key)} {s.Scheduler}" + (flags.Length > 0 ? " " + flags : "");
    }

    // ---- real servers ----

    /// <summary>The Forward column of `ipvsadm -Ln`: Masq, Local, Tunnel, Route, Bypass.</summary>
    public static string ForwardingName(ForwardingMethod method) => method switch
    {
        ForwardingMethod.Masquerade => "Masq",
        ForwardingMethod.Local => "Local",
        ForwardingMethod.Tunnel => "Tunnel",
        ForwardingMethod.Route => "Route",
        ForwardingMethod.Bypass => "Bypass",
        _ => method.ToString(),
    };

    /// <summary>
    /// The options after -r (forwarding, -w, -x/-y when set, tunnel options), each with a leading blank, as `ipvsadm -S`
    /// writes them plus the thresholds and tunnel options it drops (all of which `ipvsadm -R` takes).
    /// </summary>
    public static string RealServerOptions(LvsRealServer r)
    {
        var sb = new StringBuilder();
        sb.Append(r.ForwardingMethod switch
        {
            ForwardingMethod.Masquerade => " -m",
            ForwardingMethod.Tunnel => " -i",
            _ => " -g",
        });
        sb.Append(" -w ").Append(r.Weight);
        if (r.UpperThreshold != 0)
            sb.Append(" -x ").Append(r.UpperThreshold);
        if (r.LowerThreshold != 0)
            sb.Append(" -y ").Append(r.LowerThreshold);
        if (r.ForwardingMethod == ForwardingMethod.Tunnel)
        {
            var type = r.TunnelType ?? TunnelType.IpIp;
            sb.Append(" --tun-type ").Append(TunnelTypeName(type));
            if (type == TunnelType.Gue)
                sb.Append(" --tun-port ").Append(r.TunnelPort ?? 0);
            if (type != TunnelType.IpIp)
                sb.Append(r.TunnelChecksum switch
                {
                    TunnelChecksum.Checksum => " --tun-csum",
                    TunnelChecksum.RemoteChecksum => " --tun-remcsum",
                    _ => " --tun-nocsum",
                });
        }
        return sb.ToString();
    }

    /// <summary>The tunnel type as ipvsadm --tun-type spells it: ipip, gue, gre.</summary>
    public static string TunnelTypeName(TunnelType type) => type switch
    {
        TunnelType.Gue => "gue",
        TunnelType.Gre => "gre",
        _ => "ipip",
    };

    /// <summary>A tunnel type as ipvsadm --tun-type takes it: ipip, gue or gre (any case with <paramref name="ignoreCase"/>).</summary>
    /// <exception cref="LvsException">InvalidTunnelType.</exception>
    public static TunnelType ParseTunnelType(string? text, bool ignoreCase = false)
    {
        foreach (var type in (ReadOnlySpan<TunnelType>)[TunnelType.IpIp, TunnelType.Gue, TunnelType.Gre])
            if (string.Equals(text, TunnelTypeName(type), ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                return type;
        throw LvsException.Invalid("InvalidTunnelType", $"Tunnel type '{text}' is not ipip, gue or gre.", text);
    }

    /// <summary>A real-server rule line: "-a -t 10.0.0.1:80 -r 10.0.1.11:80 -m -w 1" for <paramref name="command"/> "-a" (or "-e").</summary>
    public static string RealServerRule(string command, LvsRealServer r) =>
        $"{command} {ServiceArgument(r.Service)} -r {FormatEndpoint(r.Address, r.Port)}{RealServerOptions(r)}";

    /// <summary>The real server as its line of `ipvsadm -Ln`: "  -> 10.0.1.11:80   Masq 1 0 0".</summary>
    public static string FormatRealServer(LvsRealServer r) =>
        $"  -> {FormatEndpoint(r.Address, r.Port),-28} {ForwardingName(r.ForwardingMethod),-7} {r.Weight,-6} {r.ActiveConnections,-10} {r.InactiveConnections,-10}".TrimEnd();

    // ---- timeouts and sync daemons ----

    /// <summary>A timeout as the whole seconds ipvsadm and the kernel use (clamped to 0 .. 2^32-1).</summary>
    public static uint Seconds(TimeSpan t) => (uint)Math.Clamp(t.TotalSeconds, 0, uint.MaxValue);

    /// <summary>The arguments of `ipvsadm --set`: "900 120 300" (0 = unchanged).</summary>
    public static string TimeoutArguments(LvsTimeouts t) => $"{Seconds(t.Tcp)} {Seconds(t.TcpFin)} {Seconds(t.Udp)}";

    /// <summary>The timeouts as `ipvsadm -L --timeout` prints them.</summary>
    public static string FormatTimeouts(LvsTimeouts t) => $"Timeout (tcp tcpfin udp): {TimeoutArguments(t)}";

    /// <summary>The daemon state as ipvsadm spells it: master or backup.</summary>
    public static string DaemonStateName(SyncDaemonState state) => state == SyncDaemonState.Backup ? "backup" : "master";

    /// <summary>The options after `ipvsadm --start-daemon STATE`, each with a leading blank.</summary>
    public static string DaemonOptions(LvsSyncDaemon d)
    {
        var sb = new StringBuilder();
        sb.Append(" --mcast-interface ").Append(d.MulticastInterface);
        sb.Append(" --syncid ").Append(d.SyncId);
        if (d.SyncMaxLength is { } len)
            sb.Append(" --sync-maxlen ").Append(len);
        if (d.MulticastGroup is { } g)
            sb.Append(" --mcast-group ").Append(g);
        if (d.MulticastPort is { } p)
            sb.Append(" --mcast-port ").Append(p);
        if (d.MulticastTtl is { } t)
            sb.Append(" --mcast-ttl ").Append(t);
        return sb.ToString();
    }

    /// <summary>The daemon as `ipvsadm -L --daemon` prints it.</summary>
    public static string FormatDaemon(LvsSyncDaemon d) =>
        $"{DaemonStateName(d.State)} sync daemon (mcast={d.MulticastInterface}, syncid={d.SyncId}" +
        (d.SyncMaxLength is { } l ? $", maxlen={l}" : "") + (d.MulticastGroup is { } g ? $", group={g}" : "") +
        (d.MulticastPort is { } p ? $", port={p}" : "") + (d.MulticastTtl is { } t ? $", ttl={t}" : "") + ")";

    /// <summary>The IPVS version line ipvsadm prints first.</summary>
    public static string FormatInfo(LvsInfo info) => $"IP Virtual Server version {info.Version} (size={info.ConnectionTableSize})";
}
