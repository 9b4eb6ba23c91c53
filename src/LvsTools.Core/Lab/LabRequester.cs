using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;

namespace LvsTools.Core.Lab;

/// <summary>
/// Sends HTTP GETs from a lab's client namespace: every connection's socket is created inside that namespace (through
/// SocketsHttpHandler.ConnectCallback), one new TCP connection per request, so every request is scheduled by IPVS.
/// </summary>
public static class LabRequester
{
    public static LvsLabRequestResult Send(LvsLab lab, IPAddress address, ushort port, int count, TimeSpan timeout,
        int parallel, string path, CancellationToken cancellation = default)
    {
        using var client = NetNamespace.Resolve(lab.Client);
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (context, token) =>
            {
                var socket = client.Run(() => new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
                try
                {
                    socket.NoDelay = true;
                    await socket.ConnectAsync(new IPEndPoint(address, port), token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var target = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
        var uri = new Uri($"http://{target}{(path.StartsWith('/') ? path : "/" + path)}");
        var results = new LvsLabRequest[count];
        var total = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(Math.Max(1, parallel));
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(cancellation).ConfigureAwait(false);
            try
            {
                results[i] = await One(http, uri, i + 1, timeout, cancellation).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        Task.WaitAll(tasks, cancellation);
        total.Stop();
        return new LvsLabRequestResult(lab.Name, target, results, Summarize(lab, results), total.Elapsed);
    }

    private static async Task<LvsLabRequest> One(HttpClient http, Uri uri, int index, TimeSpan timeout, CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        cts.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.ConnectionClose = true;
            using var response = await http.SendAsync(request, cts.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
            LabAnswer? answer = null;
            try
            {
                answer = JsonSerializer.Deserialize<LabAnswer>(body, LabAnswer.Json);
            }
            catch (JsonException)
            {
                // not a lab server's answer: the status still counts
            }
            return new LvsLabRequest
            {
                Index = index,
                Lab = answer?.Lab,
                Server = answer?.Server,
                ClientAddress = answer is not null && IPAddress.TryParse(answer.Client, out var seen) ? seen : null,
                StatusCode = (int)response.StatusCode,
                Latency = watch.Elapsed,
                Error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}",
            };
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            cancellation.ThrowIfCancellationRequested();
            return new LvsLabRequest { Index = index, Latency = watch.Elapsed, Error = Describe(e) };
        }
    }

    private static string Describe(Exception e)
    {
        if (e is OperationCanceledException)
            return "Timeout";
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is SocketException s)
                return s.SocketErrorCode.ToString();
        return e.GetBaseException().Message;
    }

    private static LvsLabRequestSummary Summarize(LvsLab lab, LvsLabRequest[] results)
    {
        var servers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, _, _) in lab.Servers())
            servers[name] = 0;
        int ok = 0;
        foreach (var r in results.Where(r => r.Ok))
        {
            ok++;
            if (r.Server is not null)
                servers[r.Server] = servers.GetValueOrDefault(r.Server) + 1;
        }
        return new LvsLabRequestSummary(results.Length, ok, results.Length - ok, servers);
    }
}
