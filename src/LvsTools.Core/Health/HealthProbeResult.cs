using System.Net;

namespace LvsTools;

/// <summary>
/// The outcome of one probe of one real server: what Test-LvsRealServer writes and what the controller counts
/// rises and falls from. A plain immutable record; <see cref="Core.Health.HealthProber"/> makes it.
/// </summary>
public sealed record HealthProbeResult
{
    /// <summary>The real server's address (the address probed).</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The real server's port (its identity; the probe may connect to another, see <see cref="ProbePort"/>).</summary>
    public required ushort Port { get; init; }

    /// <summary>The port the probe connected to: the check's port, or the real server's.</summary>
    public required ushort ProbePort { get; init; }

    /// <summary>The kind of probe.</summary>
    public required HealthCheckType Check { get; init; }

    /// <summary>Whether the server passed the check.</summary>
    public required bool Healthy { get; init; }

    /// <summary>How long the probe took, from its start to the decision.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Http/Https: the response's status code; Dns: the answer's rcode (0 = NOERROR); else null.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Why the server is unhealthy ("connection refused", "timed out after 3 s", "status 503 not in 200"); null when healthy.</summary>
    public string? Error { get; init; }

    /// <summary>When the probe started (UTC).</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The network namespace the probe ran in (its name as given); null: the current one.</summary>
    public string? NetNamespace { get; init; }

    /// <summary>"10.0.1.11:8080" or "[2001:db8::5]:80": the real server.</summary>
    public string Endpoint => IpvsadmSyntax.FormatEndpoint(Address, Port);

    /// <summary>"10.0.1.11:8080 Http healthy (3 ms)" or "… unhealthy: connection refused".</summary>
    public override string ToString() =>
        $"{Endpoint} {Check} " + (Healthy ? "healthy" : "unhealthy: " + Error) + $" ({Latency.TotalMilliseconds:0.#} ms)";
}
