using System.Net;
using System.Text;

namespace LvsTools;

/// <summary>
/// Serves the controller's latest metrics text over HTTP on a loopback address (what Prometheus scrapes when no
/// node_exporter textfile collector is used): every GET under the prefix gets the text of the last cycle.
/// Equivalent to: a node_exporter-style /metrics endpoint on 127.0.0.1.
/// </summary>
public sealed class LvsMetricsListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private volatile byte[] _text = [];
    private Task? _serving;

    /// <summary>The prefix, as validated ("http://127.0.0.1:9478/").</summary>
    public string Prefix { get; }

    private LvsMetricsListener(string prefix) => Prefix = prefix;

    /// <summary>
    /// Checks a prefix: http, a loopback host (127.0.0.0/8, ::1 or localhost), a port, ending in "/". Metrics name every
    /// backend of the director: they are not served to the network.
    /// </summary>
    /// <exception cref="LvsException">InvalidMetricsListenPrefix.</exception>
    public static string Validate(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!Uri.TryCreate(prefix, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || !prefix.EndsWith('/'))
            throw LvsException.Invalid("InvalidMetricsListenPrefix",
                $"'{prefix}' is not an HTTP listen prefix like 'http://127.0.0.1:9478/' (http, a host, a port, a trailing '/').", prefix);
        bool loopback = uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback)
            throw LvsException.Invalid("InvalidMetricsListenPrefix",
                $"'{prefix}' is not on a loopback address: the metrics are served on 127.0.0.1, ::1 or localhost only.", prefix);
        return prefix;
    }

    /// <summary>Starts listening on <paramref name="prefix"/>.</summary>
    /// <exception cref="LvsException">InvalidMetricsListenPrefix; MetricsListenFailed (the port is taken, or not allowed).</exception>
    public static LvsMetricsListener Start(string prefix)
    {
        var server = new LvsMetricsListener(Validate(prefix));
        server._listener.Prefixes.Add(prefix);
        try
        {
            server._listener.Start();
        }
        catch (HttpListenerException e)
        {
            server.Dispose();
            throw new LvsException(LvsErrorKind.OperationFailed, "MetricsListenFailed", $"Cannot listen on {prefix}: {e.Message}", prefix, e);
        }
        server._serving = Task.Run(server.ServeAsync);
        return server;
    }

    /// <summary>The text served from now on.</summary>
    public void Publish(string text) => _text = Encoding.UTF8.GetBytes(text);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            try
            {
                var body = _text;
                context.Response.StatusCode = context.Request.HttpMethod is "GET" or "HEAD" ? 200 : 405;
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                if (context.Response.StatusCode == 200 && context.Request.HttpMethod == "GET")
                {
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body).ConfigureAwait(false);
                }
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // the scraper went away
            }
        }
    }

    public void Dispose()
    {
        if (_listener.IsListening)
            _listener.Stop();
        _listener.Close();
        _serving?.Wait(TimeSpan.FromSeconds(2));
    }
}
