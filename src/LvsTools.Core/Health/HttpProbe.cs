using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace LvsTools.Core.Health;

/// <summary>
/// HTTP_GET and SSL_GET: one GET of the check's path with its Host header, on a connection of its own whose socket
/// is created inside the namespace (no proxy, no redirect, no reuse). Healthy when the status is one of ExpectStatus
/// and, when ExpectBody is set, the first <see cref="HealthProber.MaxBodyBytes"/> of the body match it. Https verifies
/// the certificate against the Host name (the address when none) unless SkipCertificateCheck.
/// Equivalent to: ip netns exec NS curl -s -o /dev/null -w '%{http_code}' --max-time T -H 'Host: H' http://ADDR:PORT/PATH
/// </summary>
internal static class HttpProbe
{
    private static readonly ProductInfoHeaderValue UserAgent = new("LvsTools-HealthCheck", "1");

    public static async Task<HealthProbeResult> RunAsync(HealthProber.Probe probe, CancellationToken cancellationToken)
    {
        var check = probe.Check;
        var body = check.ExpectBody is { } pattern ? HealthCheckRules.ExpectBody(pattern) : null;
        // The socket is made here, not in the callback, so a namespace that is gone is an LvsException, not a failed request.
        Socket? socket = ProbeSockets.Open(probe.Namespace, probe.Address, ProtocolType.Tcp);
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (_, token) =>
            {
                var s = Interlocked.Exchange(ref socket, null) ?? ProbeSockets.Open(probe.Namespace, probe.Address, ProtocolType.Tcp);
                try
                {
                    s.NoDelay = true;
                    await s.ConnectAsync(probe.EndPoint, token).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        if (check.Type == HealthCheckType.Https && check.SkipCertificateCheck)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = delegate { return true; } };
        try
        {
            using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
            using var request = new HttpRequestMessage(HttpMethod.Get, RequestUri(probe)) { Version = HttpVersion.Version11 };
            request.Headers.ConnectionClose = true;
            request.Headers.UserAgent.Add(UserAgent);
            if (check.Host is { } host)
                request.Headers.Host = host; // also the TLS server name and the name the certificate must carry
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
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
            Interlocked.Exchange(ref socket, null)?.Dispose();
        }
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
