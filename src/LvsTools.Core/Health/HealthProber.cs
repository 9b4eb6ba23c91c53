using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Health;

/// <summary>
/// Probes one real server with one <see cref="HealthCheck"/>: keepalived's TCP_CHECK, HTTP_GET, SSL_GET, DNS_CHECK and
/// MISC_CHECK. Every socket is opened inside the given network namespace (the director's view of the network); every
/// probe is bounded by <see cref="HealthCheck.Timeout"/>. A network failure is never thrown: it is a result with
/// Healthy = false and an Error that says why. No state is kept between probes (each opens its own connection).
/// </summary>
public static class HealthProber
{
    /// <summary>Http/Https: at most this much of a body is read to match <see cref="HealthCheck.ExpectBody"/>.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Probes <paramref name="address"/> on <paramref name="check"/>'s port (or <paramref name="port"/>, the real server's)
    /// from <paramref name="netNamespace"/>.
    /// </summary>
    /// <returns>The result; Healthy = false with an Error for every network failure and for a timeout.</returns>
    /// <exception cref="LvsException">
    /// NetNamespaceNotFound when the namespace was deleted or replaced; the ids of <see cref="Validate"/> for a check that
    /// cannot be run (a timeout of 0, a regex that does not parse, a DNS name that cannot be encoded).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<HealthProbeResult> ProbeAsync(HealthCheck check, IPAddress address, ushort port,
        NetNamespace netNamespace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(netNamespace);
        HealthCheckRules.CheckTimeout(check.Timeout);
        cancellationToken.ThrowIfCancellationRequested();
        var probe = new Probe(check, address, port, netNamespace);
        if (check.Type == HealthCheckType.None)
            return probe.Healthy();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(check.Timeout);
        try
        {
            return check.Type switch
            {
                HealthCheckType.Tcp => await TcpAsync(probe, timeout.Token).ConfigureAwait(false),
                HealthCheckType.Http or HealthCheckType.Https => await HttpProbe.RunAsync(probe, timeout.Token).ConfigureAwait(false),
                HealthCheckType.Dns => await DnsProbe.RunAsync(probe, timeout.Token).ConfigureAwait(false),
                HealthCheckType.Command => await CommandProbe.RunAsync(probe, timeout.Token).ConfigureAwait(false),
                _ => throw new ArgumentOutOfRangeException(nameof(check), check.Type, "Unknown health check type."),
            };
        }
        catch (HttpRequestException e) when (e.InnerException is LvsException)
        {
            // the namespace vanished between two connections of one request: as for any probe, an error, not a result
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        catch (Exception e) when (e is not LvsException && !cancellationToken.IsCancellationRequested
            && (timeout.IsCancellationRequested || Failure(e) is not null))
        {
            // A failure after the time ran out (a connect aborted, a read cut short) is the timeout's doing.
            return probe.Unhealthy(timeout.IsCancellationRequested ? probe.TimedOut : Failure(e));
        }
    }

    /// <summary>Checks what a probe needs before any is run (the cmdlet and the document call it on what they are given).</summary>
    /// <exception cref="LvsException">The ids of <see cref="HealthCheckRules"/>.</exception>
    public static void Validate(HealthCheck check) => HealthCheckRules.Validate(check);

    // TCP_CHECK: a connection accepted within the timeout. Equivalent to: ip netns exec NS nc -z -w T ADDR PORT
    private static async Task<HealthProbeResult> TcpAsync(Probe probe, CancellationToken cancellationToken) =>
        await TcpConnector.ConnectAsync(probe.Namespace, probe.EndPoint, cancellationToken).ConfigureAwait(false) is { } error
            ? probe.Unhealthy(error)
            : probe.Healthy();

    /// <summary>
    /// Why a probe failed, in words ("connection refused", "timed out after 3 s"); null for an exception that is a
    /// programming error and must not be hidden in a result.
    /// </summary>
    internal static string? Failure(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case SocketException s:
                    return Describe(s.NativeErrorCode, s.Message);
                case System.Security.Authentication.AuthenticationException a:
                    return "TLS handshake failed: " + a.Message;
            }
        }
        // What a server or the network can cause is a failed probe, whatever the type; a bug of ours is not hidden in a result.
        return e is ArgumentException or NullReferenceException or InvalidCastException or IndexOutOfRangeException
            or NotImplementedException or OperationCanceledException ? null : e.Message;
    }

    /// <summary>
    /// A failed connection in words: "connection refused", "host unreachable", ...; for another errno
    /// <paramref name="message"/> when given (a SocketException's own), else the C library's text. The one table for the
    /// TCP checks' connects (the errno of connect(2) or SO_ERROR, <see cref="TcpConnector"/>) and the other probes' sockets
    /// (a SocketException's NativeErrorCode, which on Linux is the errno).
    /// </summary>
    internal static string Describe(int errno, string? message = null) => errno switch
    {
        Errno.ECONNREFUSED => "connection refused",
        Errno.ECONNRESET => "connection reset",
        Errno.EHOSTUNREACH => "host unreachable",
        Errno.ENETUNREACH => "network unreachable",
        Errno.ETIMEDOUT => "timed out",
        Errno.EADDRNOTAVAIL => "address not available",
        Errno.EACCES or Errno.EPERM => "permission denied",
        Errno.ENOTCONN => "not connected",
        _ => string.IsNullOrEmpty(message) ? Errno.Describe(errno) : message,
    };

    /// <summary>"3 s", "0.5 s", "1.25 s".</summary>
    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    /// <summary>One probe in progress: its inputs, start time and stopwatch; makes the results.</summary>
    internal sealed class Probe(HealthCheck check, IPAddress address, ushort port, NetNamespace netNamespace)
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private readonly DateTimeOffset _time = DateTimeOffset.UtcNow;

        public HealthCheck Check { get; } = check;
        public IPAddress Address { get; } = address;
        public ushort Port { get; } = port;
        public ushort ProbePort { get; } = check.PortFor(port);
        public NetNamespace Namespace { get; } = netNamespace;
        public IPEndPoint EndPoint => new(Address, ProbePort);

        /// <summary>"timed out after 3 s".</summary>
        public string TimedOut => "timed out after " + Seconds(Check.Timeout);

        public HealthProbeResult Healthy(int? statusCode = null) => Result(true, statusCode, null);

        public HealthProbeResult Unhealthy(string? error, int? statusCode = null) => Result(false, statusCode, error ?? TimedOut);

        private HealthProbeResult Result(bool healthy, int? statusCode, string? error) => new()
        {
            Address = Address,
            Port = Port,
            ProbePort = ProbePort,
            Check = Check.Type,
            Healthy = healthy,
            Latency = Stopwatch.GetElapsedTime(_start),
            StatusCode = statusCode,
            Error = error,
            Time = _time,
            NetNamespace = Namespace.Name,
        };
    }
}
