using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace LvsTools.Core.Health;

/// <summary>
/// HTTP_GET and SSL_GET: one GET of the check's path with its Host header, on a connection of its own whose socket
/// is created inside the namespace (no proxy, no redirect, no reuse: each probe opens a fresh connection and closes it,
/// as keepalived's do). Healthy when the status is one of ExpectStatus and, when ExpectBody is set, the first
/// <see cref="HealthProber.MaxBodyBytes"/> of the body match it. Https verifies the certificate against the Host name
/// (the address when none) unless SkipCertificateCheck.
/// The handler is shared, not built per probe (that cost about as much CPU as the probe itself): one per namespace
/// object and per setting that changes it (certificate check skipped or not, connect timeout), kept as long as the
/// namespace object lives. Its connect callback opens each socket inside that namespace.
/// Equivalent to: ip netns exec NS curl -s -o /dev/null -w '%{http_code}' --max-time T -H 'Host: H' http://ADDR:PORT/PATH
/// </summary>
internal static class HttpProbe
{
    private static readonly ProductInfoHeaderValue UserAgent = new("LvsTools-HealthCheck", "1");

    // The socket opened for a request before it is sent (so a namespace that is gone is an LvsException, not a failed
    // request); the connect callback takes it, or opens another in the same namespace.
    private static readonly HttpRequestOptionsKey<Target> PreOpened = new("LvsTools.ProbeTarget");

    private sealed class Target(Socket socket, IPEndPoint endPoint)
    {
        public Socket? Socket = socket;
        public IPEndPoint EndPoint { get; } = endPoint;
    }

    private static readonly ConditionalWeakTable<NetNamespace, ConcurrentDictionary<(bool SkipCertificateCheck, TimeSpan ConnectTimeout), HttpMessageInvoker>> Clients = new();

    public static async Task<HealthProbeResult> RunAsync(HealthProber.Probe probe, CancellationToken cancellationToken)
    {
        var check = probe.Check;
        var body = check.ExpectBody is { } pattern ? HealthCheckRules.ExpectBody(pattern) : null;
        var target = new Target(await ProbeSockets.OpenAsync(probe.Namespace, probe.Address, ProtocolType.Tcp).ConfigureAwait(false), probe.EndPoint);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, RequestUri(probe)) { Version = HttpVersion.Version11 };
            request.Headers.ConnectionClose = true;
            request.Headers.UserAgent.Add(UserAgent);
            if (check.Host is { } host)
                request.Headers.Host = host; // also the TLS server name and the name the certificate must carry
            request.Options.Set(PreOpened, target);
            using var response = await ClientFor(probe.Namespace, check).SendAsync(request, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (!check.ExpectStatus.Contains(status))
                return probe.Unhealthy($"status {status} not in {string.Join(", ", check.ExpectStatus)}", status);
            if (body is null)
                return probe.Healthy(status);
            string text = await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
            bool matches;
            try
            {
                matches = body.IsMatch(text);
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                return probe.Unhealthy($"body match of '{body}' took longer than {HealthProber.Seconds(HealthCheckRules.RegexTimeout)}", status);
            }
            return matches ? probe.Healthy(status) : probe.Unhealthy($"body does not match '{body}'", status);
        }
        finally
        {
            Interlocked.Exchange(ref target.Socket, null)?.Dispose();
        }
    }

    // The shared handler of a namespace for this check's settings. The response is streamed (headers first): the body is
    // read only as far as the check needs.
    private static HttpMessageInvoker ClientFor(NetNamespace ns, HealthCheck check) =>
        Clients.GetValue(ns, _ => new()).GetOrAdd((check.Type == HealthCheckType.Https && check.SkipCertificateCheck, check.Timeout),
            key => new HttpMessageInvoker(NewHandler(ns, key.SkipCertificateCheck, key.ConnectTimeout), disposeHandler: true));

    /// <summary>Handlers built so far (what a test counts: one per namespace and setting, not one per probe).</summary>
    internal static long HandlersCreated => Interlocked.Read(ref _handlersCreated);

    private static long _handlersCreated;

    private static SocketsHttpHandler NewHandler(NetNamespace ns, bool skipCertificateCheck, TimeSpan connectTimeout)
    {
        Interlocked.Increment(ref _handlersCreated);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.Zero, // never reused (the request also says Connection: close)
            ConnectTimeout = connectTimeout, // a connect outlives a cancelled request: bounded by the check's timeout
            ResponseDrainTimeout = TimeSpan.Zero,
            ConnectCallback = async (context, token) =>
            {
                // Every probe request carries its target (the URI names the same address and port).
                var target = context.InitialRequestMessage.Options.TryGetValue(PreOpened, out var t) ? t
                    : throw new InvalidOperationException("A probe request without its target.");
                var s = Interlocked.Exchange(ref target.Socket, null)
                    ?? await ProbeSockets.OpenAsync(ns, target.EndPoint.Address, ProtocolType.Tcp).ConfigureAwait(false);
                try
                {
                    s.NoDelay = true;
                    await s.ConnectAsync(target.EndPoint, token).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        if (skipCertificateCheck)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = delegate { return true; } };
        return handler;
    }

    private static Uri RequestUri(HealthProber.Probe probe)
    {
        string scheme = probe.Check.Type == HealthCheckType.Https ? "https" : "http";
        string host = probe.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{probe.Address}]" : probe.Address.ToString();
        return new Uri($"{scheme}://{host}:{probe.ProbePort}{probe.Check.Path ?? "/"}");
    }

    // At most MaxBodyBytes, decoded as UTF-8 (invalid bytes replaced): a health page is text, and a huge one is not read whole.
    private static async Task<string> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[HealthProber.MaxBodyBytes];
        int total = 0, n;
        while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            total += n;
        return Encoding.UTF8.GetString(buffer, 0, total);
    }
}
