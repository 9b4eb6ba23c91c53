using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Net;
using LvsTools.Core;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Lists the IPVS connection table, `ipvsadm -Lnc` (read from /proc/net/ip_vs_conn), as typed objects, filtered by
/// protocol, addresses, ports and state.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LvsConnection")]
[OutputType(typeof(LvsConnection))]
public sealed class GetLvsConnectionCommand : LvsCommandBase
{
    /// <summary>Only these protocols: TCP, UDP, SCTP, or IP (persistence templates). Wildcards allowed.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ConnectionValueCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Protocol { get; set; }

    /// <summary>Only connections from these clients: addresses, wildcards (10.1.*) or networks (10.1.0.0/16).</summary>
    [Parameter]
    [Alias("SourceAddress")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? ClientAddress { get; set; }

    /// <summary>Only connections to these virtual IPs: addresses, wildcards or networks.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? VirtualAddress { get; set; }

    /// <summary>Only connections to these virtual ports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateRange(0, 65535)]
    public int[]? VirtualPort { get; set; }

    /// <summary>Only connections forwarded to these real servers: addresses, wildcards or networks.</summary>
    [Parameter]
    [Alias("RealServerAddress")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? DestinationAddress { get; set; }

    /// <summary>Only connections forwarded to these real-server ports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateRange(0, 65535)]
    public int[]? DestinationPort { get; set; }

    /// <summary>Only connections in these states (ESTABLISHED, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE; UDP for UDP; NONE or ASSURED for templates). Wildcards allowed.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ConnectionValueCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? State { get; set; }

    protected override string ErrorSubject => "LvsConnection";

    private Func<IPAddress, bool>? _client, _virtual, _destination;
    private WildcardPattern[]? _protocol, _state;

    protected override void Begin()
    {
        try
        {
            _client = AddressFilter.Create(ClientAddress);
            _virtual = AddressFilter.Create(VirtualAddress);
            _destination = AddressFilter.Create(DestinationAddress);
        }
        catch (Exception e)
        {
            ThrowLvsError(e);
        }
        _protocol = Patterns(Protocol, ConnectionValueCompleter.Protocols, "InvalidConnectionProtocol", "protocol");
        _state = Patterns(State, ConnectionValueCompleter.States, "InvalidConnectionState", "connection state");
    }

    /// <summary>
    /// The filters as patterns. A value that cannot match any name the kernel writes in /proc/net/ip_vs_conn (a typo such
    /// as -State ESTABLISHD) would silently return nothing: it is an error listing the names instead.
    /// </summary>
    private WildcardPattern[]? Patterns(string[]? values, IReadOnlyList<string> known, string errorId, string what)
    {
        if (values is null)
            return null;
        var patterns = values.Select(v => WildcardPattern.Get(v, WildcardOptions.IgnoreCase)).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            bool otherProtocol = what == "protocol" && System.Text.RegularExpressions.Regex.IsMatch(values[i], "^IP_[0-9*?]+$",
                System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            if (!otherProtocol && !known.Any(patterns[i].IsMatch))
                ThrowLvsError(LvsException.Invalid(errorId,
                    $"'{values[i]}' matches no {what} the kernel reports: use one of {string.Join(", ", known)} (wildcards allowed).", values[i]));
        }
        return patterns;
    }

    protected override void ProcessInNamespace()
    {
        List<LvsConnection> table;
        try
        {
            table = IpvsConnectionTable.Read(Namespace);
        }
        catch (Exception e)
        {
            WriteLvsError(e, ItemNamespace);
            return;
        }
        foreach (var c in table)
        {
            if (Matches(_protocol, c.Protocol) && Matches(_state, c.State)
                && (_client is null || _client(c.ClientAddress))
                && (_virtual is null || _virtual(c.VirtualAddress))
                && (_destination is null || _destination(c.DestinationAddress))
                && (VirtualPort is null || VirtualPort.Contains(c.VirtualPort))
                && (DestinationPort is null || DestinationPort.Contains(c.DestinationPort)))
                WriteObject(c);
        }
    }

    private static bool Matches(WildcardPattern[]? patterns, string value) => patterns is null || patterns.Any(p => p.IsMatch(value));
}

/// <summary>Address filters of the form 10.0.0.1, 10.0.* (wildcards on the text) or 10.0.0.0/16 (a network).</summary>
internal static class AddressFilter
{
    public static Func<IPAddress, bool>? Create(string[]? filters)
    {
        if (filters is null)
            return null;
        var tests = filters.Select(One).ToArray();
        return a => tests.Any(t => t(a));
    }

    private static Func<IPAddress, bool> One(string text)
    {
        if (WildcardPattern.ContainsWildcardCharacters(text))
        {
            var p = WildcardPattern.Get(text, WildcardOptions.IgnoreCase);
            return a => p.IsMatch(a.ToString());
        }
        var (address, prefix) = IPNetworkMath.Parse(text); // InvalidIPAddress / InvalidPrefixLength
        if (prefix is not { } bits)
            return a => a.Equals(address);
        byte[] net = address.GetAddressBytes();
        return a =>
        {
            byte[] b = a.GetAddressBytes();
            if (b.Length != net.Length)
                return false;
            for (int i = 0; i < bits; i++)
            {
                int mask = 0x80 >> (i % 8);
                if ((b[i / 8] & mask) != (net[i / 8] & mask))
                    return false;
            }
            return true;
        };
    }
}

/// <summary>Completes -Protocol and -State of Get-LvsConnection with the names the kernel prints.</summary>
internal sealed class ConnectionValueCompleter : IArgumentCompleter
{
    // ip_vs_proto_name(): what /proc/net/ip_vs_conn writes in its first column ("IP" for persistence templates;
    // "IP_<number>" for any other protocol, allowed by the filter without being listed).
    internal static readonly string[] Protocols = ["TCP", "UDP", "SCTP", "IP", "ICMP", "ICMPv6"];

    // ip_vs_proto_tcp.c, ip_vs_proto_udp.c ("UDP"), ip_vs_proto_sctp.c state name tables; templates: NONE, ASSURED (ip_vs_conn.c)
    internal static readonly string[] States =
    [
        "ESTABLISHED", "UDP", "ASSURED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK",
        "NONE", "INIT1", "INIT", "COOKIE_SENT", "COOKIE_REPLIED", "COOKIE_WAIT", "COOKIE_ECHOED", "SHUTDOWN_SENT",
        "SHUTDOWN_RECEIVED", "SHUTDOWN_ACK_SENT", "REJECTED", "CLOSED",
    ];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return (parameterName.Equals("Protocol", StringComparison.OrdinalIgnoreCase) ? Protocols : States)
            .Where(v => v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, v));
    }
}
