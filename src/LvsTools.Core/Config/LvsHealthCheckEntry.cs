namespace LvsTools;

/// <summary>
/// A health check in a document (schemaVersion 2): a service's <c>healthCheck</c>, or a real server's own, which replaces
/// the service's. Seconds are numbers, as elsewhere in the document; a member left out takes the default of
/// <see cref="HealthCheck"/>. <see cref="ToHealthCheck"/> gives the typed record the prober and the controller read.
/// </summary>
public sealed class LvsHealthCheckEntry
{
    /// <summary>tcp, http, https, dns, command or none.</summary>
    public string Type { get; set; } = "tcp";
    /// <summary>The port probed (1 to 65535); null: the real server's own port.</summary>
    public int? Port { get; set; }
    /// <summary>http/https: the request path, starting with "/".</summary>
    public string? Path { get; set; }
    /// <summary>http/https: the Host header and TLS server name.</summary>
    public string? Host { get; set; }
    /// <summary>http/https: the status codes taken as healthy (100 to 599; default 200).</summary>
    public List<int>? ExpectStatus { get; set; }
    /// <summary>http/https: a regular expression (.NET syntax) the body must match.</summary>
    public string? ExpectBody { get; set; }
    /// <summary>https only: accept any certificate.</summary>
    public bool? SkipCertificateCheck { get; set; }
    /// <summary>dns only: the name asked for.</summary>
    public string? Query { get; set; }
    /// <summary>dns only: the record type asked for (A, AAAA, NS, MX, TXT, SOA, CNAME, PTR).</summary>
    public string? QueryType { get; set; }
    /// <summary>command only (required there): the program and its arguments; the address and port are appended.</summary>
    public List<string>? Command { get; set; }
    /// <summary>Seconds one probe may take (more than 0).</summary>
    public double? Timeout { get; set; }
    /// <summary>Seconds between two probes of one server (not below the timeout).</summary>
    public double? Interval { get; set; }
    /// <summary>Successes in a row that bring a failed server back (at least 1).</summary>
    public int? Rise { get; set; }
    /// <summary>Failures in a row that take a healthy server out (at least 1).</summary>
    public int? Fall { get; set; }

    /// <summary>The longest timeout or interval a document may give: one day, in seconds.</summary>
    public const double MaxSeconds = 86400;

    /// <summary>The DNS record types a dns check may ask for.</summary>
    public static IReadOnlyList<string> QueryTypes { get; } = ["A", "AAAA", "NS", "MX", "TXT", "SOA", "CNAME", "PTR"];

    /// <summary>The check type by its document name (tcp, http, https, dns, command, none; any case), or null.</summary>
    public static HealthCheckType? ParseType(string? name) => (name ?? "").ToLowerInvariant() switch
    {
        "tcp" => HealthCheckType.Tcp,
        "http" => HealthCheckType.Http,
        "https" => HealthCheckType.Https,
        "dns" => HealthCheckType.Dns,
        "command" => HealthCheckType.Command,
        "none" => HealthCheckType.None,
        _ => null,
    };

    /// <summary>The typed check this entry describes, the defaults of <see cref="HealthCheck"/> filled in.</summary>
    /// <exception cref="LvsException">InvalidHealthCheck: a type that is not one of the list (the other members are
    /// checked when the document is read, by <see cref="Core.Config.LvsConfigurationValidator"/>).</exception>
    public HealthCheck ToHealthCheck()
    {
        var type = ParseType(Type)
            ?? throw LvsException.Invalid("InvalidHealthCheck", $"Health check type '{Type}' is not tcp, http, https, dns, command or none.", Type);
        var defaults = new HealthCheck();
        return new HealthCheck
        {
            Type = type,
            Port = Port is { } p ? checked((ushort)p) : null,
            Path = Path,
            Host = Host,
            ExpectStatus = ExpectStatus is { } s ? s.ToArray() : defaults.ExpectStatus,
            ExpectBody = ExpectBody,
            SkipCertificateCheck = SkipCertificateCheck == true,
            Query = Query,
            QueryType = QueryType?.ToUpperInvariant(),
            Command = Command?.ToArray(),
            Timeout = Timeout is { } t ? TimeSpan.FromSeconds(t) : defaults.Timeout,
            Interval = Interval is { } i ? TimeSpan.FromSeconds(i) : defaults.Interval,
            Rise = Rise ?? defaults.Rise,
            Fall = Fall ?? defaults.Fall,
        };
    }

    /// <summary>The check of a server that is not probed (Type None).</summary>
    internal static HealthCheck NoCheck { get; } = new() { Type = HealthCheckType.None };
}
