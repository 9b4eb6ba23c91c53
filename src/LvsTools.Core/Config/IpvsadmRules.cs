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
        foreach (var entry in doc.Services ?? [])
        {
            var svc = entry.ToService();
            var key = svc.Key;
            yield return $"-A {key.IpvsadmArgument}{svc.IpvsadmOptions()}";
            foreach (var r in entry.RealServers ?? [])
            {
                var rs = r.ToRealServer(key);
                yield return $"-a {key.IpvsadmArgument} -r {rs.Endpoint}{rs.IpvsadmOptions()}";
            }
        }
    }

    /// <summary>Parses rule lines into a document (services and real servers only); see <see cref="IpvsadmRuleReader"/>.</summary>
    /// <exception cref="LvsException">InvalidIpvsadmRule naming every bad line by number and text; InputTooLarge.</exception>
    public static LvsConfigurationDocument Parse(IEnumerable<string> lines)
    {
        var reader = new IpvsadmRuleReader();
        foreach (var line in lines)
            reader.Add(line);
        return reader.ToDocument();
    }

    /// <summary>Applies one rule line (its comment and a leading "ipvsadm" word already removed).</summary>
    internal static void ApplyRule(string line, Dictionary<ServiceKey, RuleService> services) => ApplyLine(Tokens(line), services);

    /// <summary>The document the services read so far make.</summary>
    internal static LvsConfigurationDocument ToDocument(Dictionary<ServiceKey, RuleService> services) =>
        // Rules say nothing of timeouts or sync daemons: leave them out, so that applying the rules leaves them alone.
        LvsConfigurationDocument.From(services.Values.Select(s => s.Service), services.Values.SelectMany(s => s.Reals), null, null);

    private static List<string> Tokens(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();

    private sealed class Rule
    {
        public char Command;
        public string? CommandName;
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
        /// <summary>The options given, by ipvsadm's names ("scheduler", "forwarding-method"), to refuse one given twice.</summary>
        public readonly HashSet<string> Given = new(StringComparer.Ordinal);
    }

    internal sealed class RuleService(LvsService service)
    {
        public LvsService Service = service;
        public readonly List<LvsRealServer> Reals = [];
    }

    /// <summary>
    /// The options each command takes (ipvsadm's commands_v_options table): ipvsadm refuses any other ("Illegal
    /// 'weight' option with the 'add-service' command").
    /// </summary>
    private static readonly Dictionary<char, (string Name, string[] Allowed, string[] Required)> Commands = new()
    {
        ['A'] = ("add-service", ["service-address", "scheduler", "persistent", "netmask", "pe", "ops", "sched-flags", "ipv6"], ["service-address"]),
        ['E'] = ("edit-service", ["service-address", "scheduler", "persistent", "netmask", "pe", "ops", "sched-flags", "ipv6"], ["service-address"]),
        ['D'] = ("delete-service", ["service-address", "ipv6"], ["service-address"]),
        ['a'] = ("add-server", ["service-address", "real-server", "forwarding-method", "weight", "u-threshold", "l-threshold",
            "tun-type", "tun-port", "tun-csum", "ipv6"], ["service-address", "real-server"]),
        ['e'] = ("edit-server", ["service-address", "real-server", "forwarding-method", "weight", "u-threshold", "l-threshold",
            "tun-type", "tun-port", "tun-csum", "ipv6"], ["service-address", "real-server"]),
        ['d'] = ("delete-server", ["service-address", "real-server", "ipv6"], ["service-address", "real-server"]),
        ['C'] = ("clear", [], []),
    };

    private static void ApplyLine(List<string> t, Dictionary<ServiceKey, RuleService> services)
    {
        var r = new Rule();
        for (int i = 0; i < t.Count; i++)
        {
            string tok = t[i];
            string? inline = null;
            // --scheduler=wrr: popt's long form with the value after '='
            if (tok.StartsWith("--", StringComparison.Ordinal) && tok.IndexOf('=') is > 2 and var eq)
            {
                inline = tok[(eq + 1)..];
                tok = tok[..eq];
            }
            // -srr, -t10.0.0.1:80: popt's short form with the value joined on
            else if (tok.Length > 2 && tok[0] == '-' && tok[1] is 't' or 'u' or 'f' or 's' or 'p' or 'M' or 'b' or 'r' or 'w' or 'x' or 'y')
            {
                inline = tok[2..];
                tok = tok[..2];
            }
            string Next() => inline ?? (i + 1 < t.Count ? t[++i] : throw Bad($"'{tok}' needs a value"));
            void Once(string name)
            {
                if (!r.Given.Add(name))
                    throw Bad($"multiple '{name}' options specified");
            }
            void Command(char c, string name)
            {
                if (r.Command != '\0')
                    throw Bad($"multiple commands specified ('{r.CommandName}' and '{name}')");
                r.Command = c;
                r.CommandName = name;
            }
            switch (tok)
            {
                case "-A" or "--add-service": Command('A', tok); break;
                case "-E" or "--edit-service": Command('E', tok); break;
                case "-D" or "--delete-service": Command('D', tok); break;
                case "-a" or "--add-server": Command('a', tok); break;
                case "-e" or "--edit-server": Command('e', tok); break;
                case "-d" or "--delete-server": Command('d', tok); break;
                case "-C" or "--clear": Command('C', tok); break;
                case "-t" or "--tcp-service": Once("service-address"); r.Protocol = IpvsProtocol.Tcp; r.ServiceEndpoint = Next(); break;
                case "-u" or "--udp-service": Once("service-address"); r.Protocol = IpvsProtocol.Udp; r.ServiceEndpoint = Next(); break;
                case "--sctp-service": Once("service-address"); r.Protocol = IpvsProtocol.Sctp; r.ServiceEndpoint = Next(); break;
                case "-f" or "--fwmark-service":
                    Once("service-address");
                    r.Mark = UInt(Next(), "firewall mark");
                    if (r.Mark == 0)
                        throw Bad("'0' is not a valid firewall mark (1 to 4294967295)");
                    break;
                case "-6" or "--ipv6": Once("ipv6"); r.Ipv6 = true; break;
                case "-s" or "--scheduler": Once("scheduler"); r.Scheduler = Next(); break;
                case "-p" or "--persistent":
                    Once("persistent");
                    r.Persistent = true;
                    if (inline is not null)
                        r.Timeout = UInt(inline, "persistence timeout");
                    else if (i + 1 < t.Count && uint.TryParse(t[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
                    {
                        r.Timeout = to;
                        i++;
                    }
                    break;
                case "-M" or "--netmask": Once("netmask"); r.Netmask = Next(); break;
                case "--pe": Once("pe"); r.Pe = Next(); break;
                case "-o" or "--ops": Once("ops"); r.OnePacket = true; break;
                case "-b" or "--sched-flags": Once("sched-flags"); r.Flags = Next(); break;
                case "-r" or "--real-server": Once("real-server"); r.Real = Next(); break;
                case "-g" or "--gatewaying": Once("forwarding-method"); r.Forward = ForwardingMethod.Route; break;
                case "-i" or "--ipip": Once("forwarding-method"); r.Forward = ForwardingMethod.Tunnel; break;
                case "-m" or "--masquerading": Once("forwarding-method"); r.Forward = ForwardingMethod.Masquerade; break;
                case "-w" or "--weight": Once("weight"); r.Weight = (int)UInt(Next(), "weight", int.MaxValue); break;
                case "-x" or "--u-threshold": Once("u-threshold"); r.Upper = UInt(Next(), "upper threshold"); break;
                case "-y" or "--l-threshold": Once("l-threshold"); r.Lower = UInt(Next(), "lower threshold"); break;
                case "--tun-type":
                    Once("tun-type");
                    string type = Next();
                    r.TunType = type switch
                    {
                        "ipip" => TunnelType.IpIp, "gue" => TunnelType.Gue, "gre" => TunnelType.Gre,
                        _ => throw Bad($"tunnel type '{type}' is not ipip, gue or gre"),
                    };
                    break;
                case "--tun-port": Once("tun-port"); r.TunPort = (ushort)UInt(Next(), "tunnel port", ushort.MaxValue); break;
                case "--tun-nocsum": Once("tun-csum"); r.TunCsum = TunnelChecksum.None; break;
                case "--tun-csum": Once("tun-csum"); r.TunCsum = TunnelChecksum.Checksum; break;
                case "--tun-remcsum": Once("tun-csum"); r.TunCsum = TunnelChecksum.RemoteChecksum; break;
                default:
                    throw Bad(tok.StartsWith('-') && tok.Length > 1
                        ? $"'{tok}' is not an ipvsadm rule option this reader knows"
                        : $"unexpected argument '{tok}'");
            }
            if (inline is not null && tok is "-o" or "--ops" or "-6" or "--ipv6" or "-g" or "--gatewaying" or "-i" or "--ipip"
                or "-m" or "--masquerading" or "--tun-nocsum" or "--tun-csum" or "--tun-remcsum" or "-A" or "--add-service"
                or "-E" or "--edit-service" or "-D" or "--delete-service" or "-a" or "--add-server" or "-e" or "--edit-server"
                or "-d" or "--delete-server" or "-C" or "--clear")
                throw Bad($"'{tok}' takes no value");
        }
        if (r.Command == '\0')
            throw Bad("no command (-A, -E, -D, -a, -e, -d or -C)");
        var (commandName, allowed, required) = Commands[r.Command];
        foreach (var option in r.Given)
            if (!allowed.Contains(option))
                throw Bad($"illegal '{option}' option with the '{commandName}' command");
        foreach (var option in required)
            if (!r.Given.Contains(option))
                throw Bad($"the '{commandName}' command needs the '{option}' option");
        if (r.Command == 'C')
        {
            services.Clear();
            return;
        }
        var key = Key(r);
        services.TryGetValue(key, out var at);
        switch (r.Command)
        {
            case 'A':
                if (at is not null) throw Bad($"service {key} is added twice");
                services.Add(key, new RuleService(Checked(BuildService(r, key, null))));
                break;
            case 'E':
                if (at is null) throw Bad($"service {key} is edited before it is added (ipvsadm: no such service)");
                at.Service = Checked(BuildService(r, key, at.Service));
                break;
            case 'D':
                if (at is null) throw Bad($"service {key} is deleted before it is added (ipvsadm: no such service)");
                services.Remove(key);
                break;
            default:
                if (at is null) throw Bad($"service {key} is not defined: no -A line for it comes before this real server");
                var (address, port) = Endpoint(r.Real!, key.Port);
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
                if (method != ForwardingMethod.Tunnel && (r.TunType is not null || r.TunPort is not null || r.TunCsum is not null))
                    throw Bad("tunnel options (--tun-type, --tun-port, --tun-*csum) apply only to tunnel forwarding (-i)");
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
                Check(IpvsOperation.AddRealServer(rs));
                if (ri >= 0) reals[ri] = rs; else reals.Add(rs);
                break;
        }
    }

    /// <summary>A rule's values go through the checks the cmdlets use, at the level of what a kernel can hold (ipvsadm -S of
    /// any table converts; what the kernel refuses does not).</summary>
    private static void Check(IpvsOperation op) => (op with { Validation = LvsConfigurationValidator.DocumentLevel }).Validate();

    private static LvsService Checked(LvsService service)
    {
        Check(IpvsOperation.AddService(service));
        return service;
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
        // What ipvsadm itself refuses before it asks the kernel (ipvsadm.c): a timeout beyond MAX_TIMEOUT (31 days),
        // port 0 of a non-persistent service, one-packet scheduling of a TCP or SCTP service.
        if (r.Persistent && r.Timeout is { } t && (t < 1 || t > (uint)IpvsValidation.MaxTimeout.TotalSeconds))
            throw Bad($"persistence timeout {t} is out of range (ipvsadm -p: 1 to {(uint)IpvsValidation.MaxTimeout.TotalSeconds} seconds)");
        if (!key.IsFirewallMark && key.Port == 0 && !r.Persistent)
            throw Bad($"Port 0 of {key} needs -p: zero port specified for non-persistent service (ipvsadm)");
        if (r.OnePacket && !key.IsFirewallMark && key.Protocol != IpvsProtocol.Udp)
            throw Bad($"One-packet scheduling (-o) is only for UDP or fwmark services (ipvsadm); {key} is not");
        var flags = ServiceFlags.None;
        if (r.Persistent) flags |= ServiceFlags.Persistent;
        if (r.OnePacket) flags |= ServiceFlags.OnePacket;
        string scheduler = r.Scheduler ?? LvsService.DefaultScheduler;
        if (r.Flags is not null)
        {
            var names = r.Flags.Split(',');
            // ipvsadm: "incompatible scheduler flag": sh-* only with sh, mh-* only with mh (flag-1..3 with any)
            foreach (var n in names.Select(n => n.Trim()))
                if ((n.StartsWith("sh-", StringComparison.Ordinal) || n.StartsWith("mh-", StringComparison.Ordinal)) && n[..2] != scheduler)
                    throw Bad($"incompatible scheduler flag '{n}' for scheduler {scheduler}");
            flags |= LvsServiceEntry.ParseFlagNames(names);
        }
        return new LvsService
        {
            AddressFamily = key.Family,
            Protocol = key.IsFirewallMark ? null : key.Protocol,
            Address = key.Address,
            Port = key.Port,
            FirewallMark = key.IsFirewallMark ? key.FirewallMark : null,
            Scheduler = IpvsValidation.Scheduler(scheduler),
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
