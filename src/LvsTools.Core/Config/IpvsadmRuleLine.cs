using System.Globalization;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

/// <summary>
/// One `ipvsadm -R` rule line taken apart as ipvsadm's popt table reads it: the command, and each option's raw value.
/// Refuses what ipvsadm refuses at this stage: an unknown option, an option given twice, two commands, a value on a
/// switch, an option the command does not take, a missing required option. The values' meaning is
/// <see cref="IpvsadmRules"/>'s (through <see cref="IpvsadmSyntax"/>).
/// </summary>
internal sealed class IpvsadmRuleLine
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
    private readonly HashSet<string> _given = new(StringComparer.Ordinal);

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

    /// <summary>Takes one rule line apart (its comment and a leading "ipvsadm" word already removed).</summary>
    /// <exception cref="LvsException">InvalidIpvsadmRule.</exception>
    public static IpvsadmRuleLine Parse(string line)
    {
        var t = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var r = new IpvsadmRuleLine();
        for (int i = 0; i < t.Length; i++)
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
            string Next() => inline ?? (i + 1 < t.Length ? t[++i] : throw Bad($"'{tok}' needs a value"));
            if (!r.Option(tok, Next, inline, ref i, t))
                throw Bad(tok.StartsWith('-') && tok.Length > 1
                    ? $"'{tok}' is not an ipvsadm rule option this reader knows"
                    : $"unexpected argument '{tok}'");
            if (inline is not null && tok is "-o" or "--ops" or "-6" or "--ipv6" or "-g" or "--gatewaying" or "-i" or "--ipip"
                or "-m" or "--masquerading" or "--tun-nocsum" or "--tun-csum" or "--tun-remcsum" or "-A" or "--add-service"
                or "-E" or "--edit-service" or "-D" or "--delete-service" or "-a" or "--add-server" or "-e" or "--edit-server"
                or "-d" or "--delete-server" or "-C" or "--clear")
                throw Bad($"'{tok}' takes no value");
        }
        if (r.Command == '\0')
            throw Bad("no command (-A, -E, -D, -a, -e, -d or -C)");
        var (commandName, allowed, required) = Commands[r.Command];
        foreach (var option in r._given)
            if (!allowed.Contains(option))
                throw Bad($"illegal '{option}' option with the '{commandName}' command");
        foreach (var option in required)
            if (!r._given.Contains(option))
                throw Bad($"the '{commandName}' command needs the '{option}' option");
        return r;
    }

    /// <summary>Reads one option (and its value through <paramref name="next"/>); false for a word that is none.</summary>
    private bool Option(string tok, Func<string> next, string? inline, ref int i, string[] t)
    {
        switch (tok)
        {
            case "-A" or "--add-service": SetCommand('A', tok); break;
            case "-E" or "--edit-service": SetCommand('E', tok); break;
            case "-D" or "--delete-service": SetCommand('D', tok); break;
            case "-a" or "--add-server": SetCommand('a', tok); break;
            case "-e" or "--edit-server": SetCommand('e', tok); break;
            case "-d" or "--delete-server": SetCommand('d', tok); break;
            case "-C" or "--clear": SetCommand('C', tok); break;
            case "-t" or "--tcp-service": Once("service-address"); Protocol = IpvsProtocol.Tcp; ServiceEndpoint = next(); break;
            case "-u" or "--udp-service": Once("service-address"); Protocol = IpvsProtocol.Udp; ServiceEndpoint = next(); break;
            case "--sctp-service": Once("service-address"); Protocol = IpvsProtocol.Sctp; ServiceEndpoint = next(); break;
            case "-f" or "--fwmark-service":
                Once("service-address");
                Mark = UInt(next(), "firewall mark");
                if (Mark == 0)
                    throw Bad("'0' is not a valid firewall mark (1 to 4294967295)");
                break;
            case "-6" or "--ipv6": Once("ipv6"); Ipv6 = true; break;
            case "-s" or "--scheduler": Once("scheduler"); Scheduler = next(); break;
            case "-p" or "--persistent":
                Once("persistent");
                Persistent = true;
                if (inline is not null)
                    Timeout = UInt(inline, "persistence timeout");
                else if (i + 1 < t.Length && uint.TryParse(t[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
                {
                    Timeout = to;
                    i++;
                }
                break;
            case "-M" or "--netmask": Once("netmask"); Netmask = next(); break;
            case "--pe": Once("pe"); Pe = next(); break;
            case "-o" or "--ops": Once("ops"); OnePacket = true; break;
            case "-b" or "--sched-flags": Once("sched-flags"); Flags = next(); break;
            case "-r" or "--real-server": Once("real-server"); Real = next(); break;
            case "-g" or "--gatewaying": Once("forwarding-method"); Forward = ForwardingMethod.Route; break;
            case "-i" or "--ipip": Once("forwarding-method"); Forward = ForwardingMethod.Tunnel; break;
            case "-m" or "--masquerading": Once("forwarding-method"); Forward = ForwardingMethod.Masquerade; break;
            case "-w" or "--weight": Once("weight"); Weight = (int)UInt(next(), "weight", int.MaxValue); break;
            case "-x" or "--u-threshold": Once("u-threshold"); Upper = UInt(next(), "upper threshold"); break;
            case "-y" or "--l-threshold": Once("l-threshold"); Lower = UInt(next(), "lower threshold"); break;
            case "--tun-type":
                Once("tun-type");
                TunType = IpvsadmSyntax.ParseTunnelType(next());
                break;
            case "--tun-port": Once("tun-port"); TunPort = (ushort)UInt(next(), "tunnel port", ushort.MaxValue); break;
            case "--tun-nocsum": Once("tun-csum"); TunCsum = TunnelChecksum.None; break;
            case "--tun-csum": Once("tun-csum"); TunCsum = TunnelChecksum.Checksum; break;
            case "--tun-remcsum": Once("tun-csum"); TunCsum = TunnelChecksum.RemoteChecksum; break;
            default: return false;
        }
        return true;
    }

    private void Once(string name)
    {
        if (!_given.Add(name))
            throw Bad($"multiple '{name}' options specified");
    }

    private void SetCommand(char c, string name)
    {
        if (Command != '\0')
            throw Bad($"multiple commands specified ('{CommandName}' and '{name}')");
        Command = c;
        CommandName = name;
    }

    private static uint UInt(string s, string what, uint max = uint.MaxValue) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= max ? v
            : throw Bad($"'{s}' is not a valid {what}");

    /// <summary>A rule ipvsadm would refuse (the reader adds the line's number and text).</summary>
    public static LvsException Bad(string why) => LvsException.Invalid("InvalidIpvsadmRule", why, null);
}
