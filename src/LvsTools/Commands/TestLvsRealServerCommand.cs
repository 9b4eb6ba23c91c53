using System.Management.Automation;
using System.Net;
using LvsTools.Core.Health;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Probes real servers once, concurrently, from a network namespace (the director's view of the network): TCP connect,
/// HTTP/HTTPS GET, DNS query, a command, as keepalived's TCP_CHECK, HTTP_GET, SSL_GET, DNS_CHECK and MISC_CHECK do.
/// Changes nothing. Results and errors come out in input order.
/// </summary>
// RealServer is the default set so that a piped LvsRealServer binds whole (with its namespace checked against
// -NetNamespace) rather than by property name; other objects with Address/Port/NetNamespace bind to the Address set.
[Cmdlet(VerbsDiagnostic.Test, "LvsRealServer", DefaultParameterSetName = "RealServer")]
[OutputType(typeof(HealthProbeResult))]
public sealed class TestLvsRealServerCommand : LvsCommandBase
{
    // Which check each option belongs to: an option given with another check is an error, not silently ignored.
    private static readonly (string Parameter, HealthCheckType[] Checks)[] Options =
    [
        (nameof(Path), [HealthCheckType.Http, HealthCheckType.Https]),
        (nameof(HostName), [HealthCheckType.Http, HealthCheckType.Https]),
        (nameof(ExpectStatus), [HealthCheckType.Http, HealthCheckType.Https]),
        (nameof(ExpectBody), [HealthCheckType.Http, HealthCheckType.Https]),
        (nameof(SkipCertificateCheck), [HealthCheckType.Https]),
        (nameof(Query), [HealthCheckType.Dns]),
        (nameof(QueryType), [HealthCheckType.Dns]),
        (nameof(Command), [HealthCheckType.Command]),
    ];

    private HealthCheck _check = new();
    private OrderedProbes<object, HealthProbeResult>? _probes;
    private ushort? _probePort;

    /// <summary>A real server from Get-LvsRealServer: its address and port are probed from the namespace it was read from.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "RealServer")]
    [ValidateNotNull]
    [RemoteObjectGuard]
    public LvsRealServer? InputObject { get; set; }

    /// <summary>The addresses to probe ("10.0.1.11", "10.0.1.11:8080", "[2001:db8::5]:80").</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Address")]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = [];

    /// <summary>
    /// The port probed. Given on the command line it overrides the real server's port; bound from a piped object's Port
    /// property it is that server's port.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "Address")]
    [Parameter(ParameterSetName = "RealServer")]
    public int? Port { get; set; }

    /// <summary>The kind of probe: Tcp (default), Http, Https, Dns, Command or None.</summary>
    [Parameter]
    public HealthCheckType Check { get; set; } = HealthCheckType.Tcp;

    /// <summary>Http/Https: the request path (default "/").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Http/Https: the Host header and TLS server name (default: the address).</summary>
    [Parameter]
    [Alias("HostHeader")]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    /// <summary>Http/Https: the status codes taken as healthy (default 200).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public int[]? ExpectStatus { get; set; }

    /// <summary>Http/Https: a regular expression the body (its first 64 KiB) must match.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ExpectBody { get; set; }

    /// <summary>Https: accept any certificate.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Dns: the name asked for (default ".", the root).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Query { get; set; }

    /// <summary>Dns: the record type asked for (default A).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? QueryType { get; set; }

    /// <summary>Command: the program and its arguments; the address and port are appended.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Command { get; set; }

    /// <summary>How long one probe may take (a number is seconds; default 3).</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan Timeout { get; set; } = HealthCheck.DefaultTimeout;

    /// <summary>How many probes run at once (default 16).</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 16;

    protected override string ErrorSubject => "HealthProbe";

    // Everything on the command line is checked before anything is probed. The parameter set is not known yet
    // (pipeline input decides it), so the port override is applied per item.
    protected override void Begin()
    {
        try
        {
            var bound = MyInvocation.BoundParameters;
            foreach (var (parameter, checks) in Options)
                if (bound.ContainsKey(parameter) && !checks.Contains(Check))
                    throw LvsException.Invalid("HealthCheckOptionMismatch",
                        $"-{parameter} applies to -Check {string.Join(" or ", checks)} only, not to -Check {Check}.", parameter);
            if (bound.ContainsKey(nameof(Port)))
                _probePort = ProbePort(Port!.Value);
            _check = new HealthCheck
            {
                Type = Check,
                Path = Path,
                Host = HostName,
                ExpectStatus = ExpectStatus ?? [200],
                ExpectBody = ExpectBody,
                SkipCertificateCheck = SkipCertificateCheck,
                Query = Query,
                QueryType = QueryType,
                Command = Command,
                Timeout = Timeout,
            };
            HealthProber.Validate(_check);
        }
        catch (Exception e)
        {
            ThrowLvsError(e);
        }
        _probes = new(ThrottleLimit, Cancellation);
    }

    protected override void ProcessInNamespace()
    {
        if (InputObject is { } server)
        {
            if (ActIn(server.NetNamespace, server, $"Real server {server.Endpoint}"))
                Start(server, () => Endpoint(server));
        }
        else
        {
            ActInParameterNamespace();
            foreach (var text in Address)
                Start(text, () => Endpoint(text));
        }
        Write(_probes!.Take(keep: ThrottleLimit * 4));
    }

    // "10.0.1.11:80", or "10.0.1.11" with the port bound from a piped object's Port or given by -Port.
    private (IPAddress, ushort) Endpoint(string text)
    {
        var (ip, fromAddress) = IpvsadmSyntax.ParseEndpoint(text);
        ushort? own = fromAddress ?? (_probePort is null && Port is { } p ? ProbePort(p) : null);
        return (ip, own ?? _probePort ?? throw LvsException.Invalid("MissingPort",
            $"No port to probe for {text}: give it in the address (10.0.1.11:80) or with -Port.", text));
    }

    // A real server's own port, its identity: port 0 (a firewall-mark service's real server, or an object converted to
    // one without a Port) is no port to probe, unless -Port gives one.
    private (IPAddress, ushort) Endpoint(LvsRealServer server) => server.Port != 0 || _probePort is not null
        ? (server.Address, server.Port)
        : throw LvsException.Invalid("MissingPort",
            $"No port to probe for real server {server.Address}: it has port 0 (a firewall-mark service's real servers may); give -Port.", server.Endpoint);

    // Starts one probe; a port given on the command line is the port probed, the server's own port stays its identity.
    private void Start(object target, Func<(IPAddress Address, ushort Port)> server)
    {
        try
        {
            var (address, port) = server();
            var check = _probePort is { } over && over != port ? _check with { Port = over } : _check;
            var ns = Namespace;
            _probes!.Start(target, token => HealthProber.ProbeAsync(check, address, port, ns, token));
        }
        catch (Exception e)
        {
            _probes!.Fail(target, e); // written in its turn, after the results of the targets before it
        }
    }

    // An object refused before its probe (from another namespace than -NetNamespace, a deserialized copy): in its turn too.
    protected override void WriteItemError(ErrorRecord record)
    {
        if (_probes is null)
            base.WriteItemError(record);
        else
            _probes.Fail(record.TargetObject, new RuntimeException(record.Exception.Message, record.Exception, record));
    }

    protected override void EndProcessing()
    {
        if (_probes is not null)
            Write(_probes.Take(keep: 0));
    }

    private void Write(IEnumerable<(object Target, HealthProbeResult? Result, Exception? Failure)> done)
    {
        try
        {
            foreach (var (target, result, failure) in done)
            {
                if (failure is OperationCanceledException && Cancellation.IsCancellationRequested)
                    throw new PipelineStoppedException();
                if (result is not null)
                    WriteObject(result);
                else
                    WriteLvsError(failure!, target);
            }
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    // 1-65535: port 0 cannot be connected to.
    private static ushort ProbePort(int port) => port is >= 1 and <= ushort.MaxValue ? (ushort)port
        : throw LvsException.Invalid("InvalidPort", $"Port {port} is out of range: 1 to 65535.", port);
}
