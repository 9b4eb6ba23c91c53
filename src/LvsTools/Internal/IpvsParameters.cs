using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools.Internal;

/// <summary>Shared pieces of the IPVS cmdlets: service keys from parameters, and kernel errors named by what they concern.</summary>
internal static class IpvsParameters
{
    /// <summary>The scheduler names the argument completer offers.</summary>
    public sealed class SchedulerCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
            IpvsValidation.KnownSchedulers.Where(s => s != "none" && s.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
                .Select(s => new CompletionResult(s, s, CompletionResultType.ParameterValue, SchedulerDescription(s)));
    }

    public static string SchedulerDescription(string s) => s switch
    {
        "rr" => "round robin", "wrr" => "weighted round robin", "lc" => "least connection", "wlc" => "weighted least connection (default)",
        "lblc" => "locality-based least connection", "lblcr" => "locality-based least connection with replication",
        "dh" => "destination hashing", "sh" => "source hashing", "sed" => "shortest expected delay", "nq" => "never queue",
        "fo" => "weighted failover", "ovf" => "weighted overflow", "mh" => "maglev hashing", "twos" => "weighted random twos choice",
        _ => s,
    };

    /// <summary>
    /// Orders services as ipvsadm -Ln does: address services before marks, then by family, protocol, address (numerically,
    /// shorter first), port and mark. Compares the fields themselves (no key string is built per service).
    /// </summary>
    public static readonly IComparer<ServiceKey> ServiceOrder = Comparer<ServiceKey>.Create(CompareServices);

    /// <summary>Orders real servers as ipvsadm -Ln does: by service (<see cref="ServiceOrder"/>), then address and port.</summary>
    public static readonly IComparer<LvsRealServer> RealServerOrder = Comparer<LvsRealServer>.Create((a, b) =>
    {
        int c = CompareServices(a.Service, b.Service);
        if (c == 0)
            c = CompareAddresses(a.Address, b.Address, lengthFirst: false);
        return c != 0 ? c : a.Port.CompareTo(b.Port);
    });

    private static int CompareServices(ServiceKey? a, ServiceKey? b)
    {
        if (ReferenceEquals(a, b))
            return 0;
        if (a is null || b is null)
            return a is null ? -1 : 1;
        int c = a.IsFirewallMark.CompareTo(b.IsFirewallMark);
        if (c == 0)
            c = ((int)a.Family).CompareTo((int)b.Family);
        if (c == 0)
            c = ((int)(a.Protocol ?? 0)).CompareTo((int)(b.Protocol ?? 0));
        if (c == 0)
            c = CompareAddresses(a.Address, b.Address, lengthFirst: true);
        if (c == 0)
            c = a.Port.CompareTo(b.Port);
        return c != 0 ? c : a.FirewallMark.CompareTo(b.FirewallMark);
    }

    /// <summary>
    /// Addresses by their bytes (as their hex text compares): with <paramref name="lengthFirst"/> a shorter address first
    /// (the right-aligned text of a service key), else byte by byte with a prefix first. No address is copied to the heap.
    /// </summary>
    private static int CompareAddresses(System.Net.IPAddress? a, System.Net.IPAddress? b, bool lengthFirst)
    {
        if (a is null || b is null)
            return a is null ? (b is null ? 0 : -1) : 1;
        Span<byte> x = stackalloc byte[16], y = stackalloc byte[16];
        a.TryWriteBytes(x, out int nx);
        b.TryWriteBytes(y, out int ny);
        if (lengthFirst && nx != ny)
            return nx.CompareTo(ny);
        return x[..nx].SequenceCompareTo(y[..ny]);
    }

    /// <summary>A service key from -VirtualAddress/-Protocol/-Port or -FirewallMark/-AddressFamily.</summary>
    public static ServiceKey Key(string? virtualAddress, IpvsProtocol protocol, int port, long? firewallMark, IPFamily family)
    {
        if (firewallMark is { } mark)
            return ServiceKey.ForFirewallMark(IpvsValidation.FirewallMark(mark), family);
        var ip = IPNetworkMath.ParseAddress(virtualAddress ?? "");
        return ServiceKey.ForAddress(protocol, ip, Port(port, "InvalidPort"));
    }

    /// <summary>Checks a port number (0-65535).</summary>
    public static ushort Port(int port, string errorId) =>
        port is >= 0 and <= ushort.MaxValue ? (ushort)port
            : throw LvsException.Invalid(errorId, $"Port {port} is out of range: 0 to 65535.", port);

    /// <summary>
    /// Names a kernel refusal by what it concerns: ESRCH is a missing service, ENOENT on a real-server command a missing
    /// real server, EEXIST an existing service or real server. Other exceptions pass through.
    /// </summary>
    public static Exception Contextualize(Exception e, ServiceKey service, string? realServer = null) => e switch
    {
        NetlinkException { Errno: Errno.ESRCH } n => new LvsException(LvsErrorKind.NotFound, "LvsServiceNotFound",
            $"Virtual service {service} does not exist.", service.ToString(), n),
        NetlinkException { Errno: Errno.ENOENT } n when realServer is not null => new LvsException(LvsErrorKind.NotFound, "LvsRealServerNotFound",
            $"Real server {realServer} is not in virtual service {service}.", realServer, n),
        NetlinkException { Errno: Errno.EEXIST } n when realServer is not null => new LvsException(LvsErrorKind.AlreadyExists, "LvsRealServerExists",
            $"Real server {realServer} is already in virtual service {service}.", realServer, n),
        NetlinkException { Errno: Errno.EEXIST } n => new LvsException(LvsErrorKind.AlreadyExists, "LvsServiceExists",
            $"Virtual service {service} already exists.", service.ToString(), n),
        _ => e,
    };
}
