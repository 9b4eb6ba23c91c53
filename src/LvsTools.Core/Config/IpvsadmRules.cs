using System.Globalization;
using System.Net;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

/// <summary>
/// `ipvsadm -S` / `ipvsadm -R` rule text to and from documents. Reading applies the lines in order (-A, -E, -D, -a,
/// -e, -d, -C), as `ipvsadm -R` would; writing gives what `ipvsadm -S -n` prints plus what it drops (thresholds,
/// tunnel options), all of which `ipvsadm -R` accepts.
/// </summary>
public static class IpvsadmRules
{
    /// <summary>The rule lines for a document's services and real servers, in canonical order.</summary>
    public static IEnumerable<string> Format(LvsConfigurationDocument doc)
    {
        doc.Canonicalize();
        foreach (var entry in doc.Services)
        {
            var svc = entry.ToService();
            var key = svc.Key;
            yield return $"-A {key.IpvsadmArgument}{svc.IpvsadmOptions()}";
            foreach (var r in entry.RealServers)
            {
                var rs = r.ToRealServer(key);
                yield return $"-a {key.IpvsadmArgument} -r {rs.Endpoint}{rs.IpvsadmOptions()}";
            }
        }
    }

    /// <summary>Parses rule lines into a document (services and real servers only).</summary>
    /// <exception cref="LvsException">InvalidIpvsadmRule, naming the line number and the offending token.</exception>
    public static LvsConfigurationDocument Parse(IEnumerable<string> lines)
    {
        var services = new Dictionary<ServiceKey, RuleService>();
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            int hash = line.IndexOf('#');
            if (hash >= 0)
                line = line[..hash].Trim();
            if (line.Length == 0)
                continue;
            if (line.StartsWith("ipvsadm ", StringComparison.Ordinal))
                line = line[8..].Trim();
            try
            {
                ApplyLine(Tokens(line), services);
            }
            catch (LvsException e)
            {
                throw new LvsException(e.Kind, "InvalidIpvsadmRule", $"Line {number} ('{raw.Trim()}'): {e.Message}", raw, e);
            }
        }
        // Rules say nothing of timeouts or sync daemons: leave them out, so that applying the rules leaves them alone.
        return LvsConfigurationDocument.From(services.Values.Select(s => s.Service), services.Values.SelectMany(s => s.Reals), null, null);
    }

    private static List<string> Tokens(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();

    private sealed class Rule
    {
        public char Command;
        public IpvsProtocol? Protocol;
        public string? ServiceEndpoint;
        public uint? Mark;
        public bool Ipv6;
        public string? Scheduler;
        public bool Persistent;
        public uint? Timeout;
        public string? Netmask;
        public string? Pe;
        public bool OnePacket;
        public string? Flags;
        public string? Real;
        public ForwardingMethod? Forward;
        public int? Weight;
        public uint? Upper, Lower;
        public TunnelType? TunType;
        public ushort? TunPort;
        public TunnelChecksum? TunCsum;
    }

    private sealed class RuleService(LvsService service)
    {
        public LvsService Service = service;
        public readonly List<LvsRealServer> Reals = [];
    }

    private static void ApplyLine(List<string> t, Dictionary<ServiceKey, RuleService> services)
    {
        var r = new Rule();
        for (int i = 0; i < t.Count; i++)
        {
            string tok = t[i];
            string Next() => i + 1 < t.Count ? t[++i] : throw Bad($"'{tok}' needs a value");
            switch (tok)
            {
                case "-A" or "--add-service": r.Command = 'A'; break;
                case "-E" or "--edit-service": r.Command = 'E'; break;
                case "-D" or "--delete-service": r.Command = 'D'; break;
                case "-a" or "--add-server": r.Command = 'a'; break;
                case "-e" or "--edit-server": r.Command = 'e'; break;
                case "-d" or "--delete-server": r.Command = 'd'; break;
                case "-C" or "--clear": r.Command = 'C'; break;
                case "-t" or "--tcp-service": r.Protocol = IpvsProtocol.Tcp; r.ServiceEndpoint = Next(); break;
                case "-u" or "--udp-service": r.Protocol = IpvsProtocol.Udp; r.ServiceEndpoint = Next(); break;
                case "--sctp-service": r.Protocol = IpvsProtocol.Sctp; r.ServiceEndpoint = Next(); break;
                case "-f" or "--fwmark-service": r.Mark = UInt(Next(), "firewall mark"); break;
                case "-6" or "--ipv6": r.Ipv6 = true; break;
                case "-s" or "--scheduler": r.Scheduler = Next(); break;
                case "-p" or "--persistent":
                    r.Persistent = true;
                    if (i + 1 < t.Count && uint.TryParse(t[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
                    {
                        r.Timeout = to;
                        i++;
                    }
                    break;
                case "-M" or "--netmask": r.Netmask = Next(); break;
                case "--pe": r.Pe = Next(); break;
                case "-o" or "--ops": r.OnePacket = true; break;
                case "-b" or "--sched-flags": r.Flags = Next(); break;
                case "-r" or "--real-server": r.Real = Next(); break;
                case "-g" or "--gatewaying": r.Forward = ForwardingMethod.Route; break;
                case "-i" or "--ipip": r.Forward = ForwardingMethod.Tunnel; break;
                case "-m" or "--masquerading": r.Forward = ForwardingMethod.Masquerade; break;
                case "-w" or "--weight": r.Weight = (int)UInt(Next(), "weight"); break;
                case "-x" or "--u-threshold": r.Upper = UInt(Next(), "upper threshold"); break;
                case "-y" or "--l-threshold": r.Lower = UInt(Next(), "lower threshold"); break;
                case "--tun-type":
                    string type = Next();
                    r.TunType = type switch
                    {
                        "ipip" => TunnelType.IpIp, "gue" => TunnelType.Gue, "gre" => TunnelType.Gre,
                        _ => throw Bad($"tunnel type '{type}' is not ipip, gue or gre"),
                    };
                    break;
                case "--tun-port": r.TunPort = (ushort)UInt(Next(), "tunnel port", ushort.MaxValue); break;
                case "--tun-nocsum": r.TunCsum = TunnelChecksum.None; break;
                case "--tun-csum": r.TunCsum = TunnelChecksum.Checksum; break;
                case "--tun-remcsum": r.TunCsum = TunnelChecksum.RemoteChecksum; break;
                default: throw Bad($"'{tok}' is not an ipvsadm rule option this reader knows");
            }
        }
        if (r.Command == 'C')
        {
            services.Clear();
            return;
        }
        if (r.Command == '\0')
            throw Bad("no command (-A, -E, -D, -a, -e, -d or -C)");
        var key = Key(r);
        services.TryGetValue(key, out var at);
        switch (r.Command)
        {
            case 'A':
                if (at is not null) throw Bad($"service {key} is added twice");
                services.Add(key, new RuleService(BuildService(r, key, null)));
                break;
            case 'E':
                if (at is null) throw Bad($"service {key} is edited before it is added");
                at.Service = BuildService(r, key, at.Service);
                break;
            case 'D':
                if (at is null) throw Bad($"service {key} is deleted before it is added");
                services.Remove(key);
                break;
            default:
                if (at is null) throw Bad($"service {key} has no -A line before this real server");
                var (address, port) = Endpoint(r.Real ?? throw Bad("a real server line needs -r"), key.Port);
                var reals = at.Reals;
                int ri = reals.FindIndex(x => x.Address.Equals(address) && x.Port == port);
                if (r.Command == 'd')
                {
                    if (ri < 0) throw Bad($"real server {r.Real} is deleted before it is added");
                    reals.RemoveAt(ri);
                    break;
                }
                if (r.Command == 'a' && ri >= 0) throw Bad($"real server {r.Real} is added twice");
                if (r.Command == 'e' && ri < 0) throw Bad($"real server {r.Real} is edited before it is added");
                var old = ri >= 0 ? reals[ri] : null;
                var method = r.Forward ?? old?.ForwardingMethod ?? ForwardingMethod.Route;
                var rs = new LvsRealServer
                {
                    Service = key,
                    Address = address,
                    // ipvsadm forces the service's port for direct routing and tunnelling
                    Port = method is ForwardingMethod.Route or ForwardingMethod.Tunnel && !key.IsFirewallMark ? key.Port : port,
                    ForwardingMethod = method,
                    Weight = r.Weight ?? old?.Weight ?? 1,
                    UpperThreshold = r.Upper ?? old?.UpperThreshold ?? 0,
                    LowerThreshold = r.Lower ?? old?.LowerThreshold ?? 0,
                    TunnelType = method == ForwardingMethod.Tunnel ? r.TunType ?? old?.TunnelType ?? TunnelType.IpIp : null,
                    TunnelPort = method == ForwardingMethod.Tunnel ? r.TunPort ?? old?.TunnelPort : null,
                    TunnelChecksum = method == ForwardingMethod.Tunnel ? r.TunCsum ?? old?.TunnelChecksum ?? TunnelChecksum.None : null,
                };
                if (ri >= 0) reals[ri] = rs; else reals.Add(rs);
                break;
        }
    }

    private static ServiceKey Key(Rule r)
    {
        if (r.Mark is { } m)
            return ServiceKey.ForFirewallMark(m, r.Ipv6 ? IPFamily.IPv6 : IPFamily.IPv4);
        if (r.Protocol is not { } p || r.ServiceEndpoint is null)
            throw Bad("no service (-t, -u, --sctp-service or -f)");
        var (address, port) = Endpoint(r.ServiceEndpoint, null);
        return ServiceKey.ForAddress(p, address, port);
    }

    private static LvsService BuildService(Rule r, ServiceKey key, LvsService? old)
    {
        var flags = ServiceFlags.None;
        if (r.Persistent) flags |= ServiceFlags.Persistent;
        if (r.OnePacket) flags |= ServiceFlags.OnePacket;
        if (r.Flags is not null) flags |= LvsServiceEntry.ParseFlagNames(r.Flags.Split(','));
        return new LvsService
        {
            AddressFamily = key.Family,
            Protocol = key.IsFirewallMark ? null : key.Protocol,
            Address = key.Address,
            Port = key.Port,
            FirewallMark = key.IsFirewallMark ? key.FirewallMark : null,
            Scheduler = IpvsValidation.Scheduler(r.Scheduler ?? LvsService.DefaultScheduler),
            Flags = flags,
            PersistenceTimeout = r.Persistent ? TimeSpan.FromSeconds(r.Timeout ?? 300) : TimeSpan.Zero,
            PersistenceNetmask = r.Netmask is null ? LvsService.DefaultNetmask(key.Family) : LvsServiceEntry.ParseNetmask(key.Family, r.Netmask),
            PersistenceEngine = r.Pe,
        };
    }

    /// <summary>"10.0.0.1:80", "[2001:db8::1]:80", "10.0.0.1" (port from <paramref name="defaultPort"/>).</summary>
    private static (IPAddress, ushort) Endpoint(string text, ushort? defaultPort)
    {
        string host = text, port = "";
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0) throw Bad($"'{text}' lacks ']'");
            host = text[1..close];
            if (close + 1 < text.Length)
                port = text[(close + 1)..].TrimStart(':');
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':');
            host = text[..colon];
            port = text[(colon + 1)..];
        }
        IPAddress ip;
        try { ip = IPNetworkMath.ParseAddress(host); }
        catch (LvsException) { throw Bad($"'{host}' is not a numeric address (read rules written with ipvsadm -S -n)"); }
        if (port.Length == 0)
            return (ip, defaultPort ?? throw Bad($"'{text}' has no port"));
        return (ip, (ushort)UInt(port, "port", ushort.MaxValue));
    }

    private static uint UInt(string s, string what, uint max = uint.MaxValue) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= max ? v
            : throw Bad($"'{s}' is not a valid {what}");

    private static LvsException Bad(string why) => LvsException.Invalid("InvalidIpvsadmRule", why, null);
}
