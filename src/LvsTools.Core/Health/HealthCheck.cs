namespace LvsTools;

/// <summary>How a real server is probed: keepalived's TCP_CHECK, HTTP_GET, SSL_GET, DNS_CHECK and MISC_CHECK.</summary>
public enum HealthCheckType
{
    /// <summary>Never probed: the server is taken as healthy.</summary>
    None,
    /// <summary>A TCP connection that is accepted within the timeout.</summary>
    Tcp,
    /// <summary>An HTTP GET whose status (and body, when asked) match.</summary>
    Http,
    /// <summary>The same over TLS.</summary>
    Https,
    /// <summary>A DNS query (UDP) that gets an answer.</summary>
    Dns,
    /// <summary>A program run with the server's address and port; exit code 0 is healthy.</summary>
    Command,
}

/// <summary>
/// One health check, typed: what the document's <c>healthCheck</c> object says (seconds there, <see cref="TimeSpan"/>
/// here), with the defaults filled in. A plain immutable record: the document converts to it, the prober and the
/// controller read it.
/// </summary>
public sealed record HealthCheck
{
    /// <summary>The default probe timeout (3 s).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The default time between two probes of one server (5 s).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>Successes in a row that bring a failed server back (2).</summary>
    public const int DefaultRise = 2;

    /// <summary>Failures in a row that take a healthy server out (3).</summary>
    public const int DefaultFall = 3;

    /// <summary>The kind of probe.</summary>
    public HealthCheckType Type { get; init; } = HealthCheckType.Tcp;

    /// <summary>The port probed; null: the real server's own port.</summary>
    public ushort? Port { get; init; }

    /// <summary>Http/Https: the request path ("/" when null).</summary>
    public string? Path { get; init; }

    /// <summary>Http/Https: the Host header and TLS server name (the address when null).</summary>
    public string? Host { get; init; }

    /// <summary>Http/Https: the status codes taken as healthy.</summary>
    public IReadOnlyList<int> ExpectStatus { get; init; } = [200];

    /// <summary>Http/Https: a regular expression the body must match (null: any body).</summary>
    public string? ExpectBody { get; init; }

    /// <summary>Https: accept any certificate (only when asked).</summary>
    public bool SkipCertificateCheck { get; init; }

    /// <summary>Dns: the name asked for ("." when null).</summary>
    public string? Query { get; init; }

    /// <summary>Dns: the record type asked for (A, AAAA, NS, MX, TXT, SOA, CNAME, PTR; "A" when null).</summary>
    public string? QueryType { get; init; }

    /// <summary>Command: the program and its arguments; the server's address and port are appended.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>How long one probe may take.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Time between two probes of one server (not below <see cref="Timeout"/>).</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>Successes in a row that make a failed server healthy (at least 1).</summary>
    public int Rise { get; init; } = DefaultRise;

    /// <summary>Failures in a row that make a healthy server failed (at least 1).</summary>
    public int Fall { get; init; } = DefaultFall;

    /// <summary>The port a probe of a real server on <paramref name="serverPort"/> connects to.</summary>
    public ushort PortFor(ushort serverPort) => Port ?? serverPort;
}
