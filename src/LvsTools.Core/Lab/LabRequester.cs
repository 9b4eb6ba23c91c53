using System.Collections.Concurrent;
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
/// <remarks>Equivalent to: ip netns exec CLIENT curl -s http://ADDRESS:PORT/PATH, once per request.</remarks>
public static class LabRequester
{
    /// <summary>The result of a batch of requests (Requests in the order they were sent, Summary, Target, Elapsed).</summary>
    public static LvsLabRequestResult Result(LvsLab lab, IPAddress address, ushort port, LvsLabRequest[] requests, TimeSpan elapsed) =>
        new(lab.Name, Target(address, port), requests, Summarize(lab, requests), elapsed);

    /// <summary>
    /// Sends requests as <paramref name="plan"/> says (a count, or until its duration is over; <c>Parallel</c> senders,
    /// each waiting <c>Interval</c> between one answer and its next request) and yields every request as soon as it
    /// is done, on the caller's thread. Ends when the plan is done or <paramref name="cancellation"/> fires.
    /// </summary>
    public static IEnumerable<LvsLabRequest> Stream(LvsLab lab, IPAddress address, ushort port, LabRequestPlan plan,
        CancellationToken cancellation = default)
    {
        using var client = NetNamespace.Resolve(lab.Client);
        using var supply = new SocketSupply(client, address.AddressFamily, plan.Duration is null ? Math.Min(plan.Count, 32) : 32);
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (context, token) =>
            {
                var socket = supply.Take();
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
        var uri = new Uri($"http://{Target(address, port)}{(plan.Path.StartsWith('/') ? plan.Path : "/" + plan.Path)}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var done = new BlockingCollection<LvsLabRequest>();
        var deadline = plan.Duration is { } d ? DateTime.UtcNow + d : DateTime.MaxValue;
        int next = 0;
        async Task Sender()
        {
            while (!stop.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                int index = Interlocked.Increment(ref next);
                if (plan.Duration is null && index > plan.Count)
                    return;
                done.Add(await One(http, uri, index, plan.Timeout, stop.Token).ConfigureAwait(false));
                if (plan.Interval > TimeSpan.Zero)
                    await Task.Delay(plan.Interval, stop.Token).ConfigureAwait(false);
            }
        }
        var senders = Enumerable.Range(0, Math.Max(1, plan.Parallel)).Select(_ => Task.Run(Sender)).ToArray();
        var all = Task.WhenAll(senders).ContinueWith(_ => done.CompleteAdding(), TaskScheduler.Default);
        try
        {
            foreach (var request in done.GetConsumingEnumerable(cancellation))
                yield return request;
            cancellation.ThrowIfCancellationRequested();
            var failed = senders.FirstOrDefault(t => t.IsFaulted);
            if (failed is not null)
                throw failed.Exception!.GetBaseException();
        }
        finally
        {
            // Stopped early (by the caller or its consumer): the senders end before the client they use is disposed.
            stop.Cancel();
            try
            {
                all.Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // a sender that was cancelled: nothing to report
            }
        }
    }

    /// <summary>
    /// TCP sockets made inside a namespace in batches: one visit (a thread and a setns) per batch instead of one per
    /// request, which in a loaded UML guest costs enough CPU to slow everything else down under a steady loop.
    /// </summary>
    private sealed class SocketSupply(NetNamespace ns, AddressFamily family, int batch) : IDisposable
    {
        private readonly ConcurrentQueue<Socket> _ready = new();
        private readonly object _refill = new();

        public Socket Take()
        {
            Socket? socket;
            while (!_ready.TryDequeue(out socket))
            {
                lock (_refill)
                {
                    if (_ready.IsEmpty)
                        foreach (var made in ns.Run(Make))
                            _ready.Enqueue(made);
                }
            }
            return socket;
        }

        private Socket[] Make()
        {
            var made = new List<Socket>(batch);
            try
            {
                while (made.Count < Math.Max(1, batch))
                    made.Add(new Socket(family, SocketType.Stream, ProtocolType.Tcp));
                return made.ToArray();
            }
            catch
            {
                made.ForEach(s => s.Dispose());
                throw;
            }
        }

        public void Dispose()
        {
            while (_ready.TryDequeue(out var socket))
                socket.Dispose();
        }
    }

    private static string Target(IPAddress address, ushort port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    private static async Task<LvsLabRequest> One(HttpClient http, Uri uri, int index, TimeSpan timeout, CancellationToken cancellation)
    {
        var time = DateTimeOffset.UtcNow;
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
                Time = time,
                Lab = answer?.Lab,
                Server = answer?.Server,
                ClientAddress = answer is not null && IPAddress.TryParse(answer.Client, out var seen) ? seen : null,
                ClientPort = answer?.ClientPort,
                StatusCode = (int)response.StatusCode,
                Latency = watch.Elapsed,
                Error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}",
            };
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            cancellation.ThrowIfCancellationRequested();
            return new LvsLabRequest { Index = index, Time = time, Latency = watch.Elapsed, Error = Describe(e) };
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
