using System.Net;
using System.Net.Sockets;
using System.Text;
using LvsTools.Core.Health;

namespace LvsTools.Core.Tests.Health;

/// <summary>
/// The prober's results on loopback in the test's own namespace (no root needed): what healthy and unhealthy look
/// like for each check, the reasons it gives, and that every probe ends at its timeout.
/// </summary>
public class HealthProberTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    private static Task<HealthProbeResult> Probe(HealthCheck check, ushort port, CancellationToken token = default) =>
        HealthProber.ProbeAsync(check, Loopback, port, NetNamespace.Current, token);

    private static ushort ClosedPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(Loopback, 0));
        return (ushort)((IPEndPoint)s.LocalEndPoint!).Port;
    }

    // Answers one HTTP request with the response given and hands back the request it read.
    private static (ushort Port, Task<string> Request) HttpServer(string head, byte[] body)
    {
        var listener = new TcpListener(Loopback, 0);
        listener.Start();
        async Task<string> Serve()
        {
            using var client = await listener.AcceptTcpClientAsync();
            listener.Stop();
            var stream = client.GetStream();
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n"))
                request.Append(Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer)));
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head + $"\r\nContent-Length: {body.Length}\r\n\r\n"));
                await stream.WriteAsync(body);
            }
            catch (IOException)
            {
                // the probe read what it needed and closed
            }
            return request.ToString();
        }
        return ((ushort)((IPEndPoint)listener.LocalEndpoint).Port, Serve());
    }

    [Fact]
    public async Task None_is_healthy_without_traffic_and_the_result_names_the_server()
    {
        var r = await Probe(new HealthCheck { Type = HealthCheckType.None, Port = 8081 }, 8080);
        Assert.True(r.Healthy);
        Assert.Equal((Loopback, (ushort)8080, (ushort)8081, HealthCheckType.None), (r.Address, r.Port, r.ProbePort, r.Check));
        Assert.Null(r.Error);
        Assert.Null(r.StatusCode);
        Assert.Null(r.NetNamespace);
        Assert.Equal("127.0.0.1:8080", r.Endpoint);
        Assert.InRange(r.Time, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Tcp_is_healthy_on_a_listening_port_and_says_connection_refused_on_a_closed_one()
    {
        var listener = new TcpListener(Loopback, 0);
        listener.Start();
        try
        {
            var r = await Probe(new HealthCheck(), (ushort)((IPEndPoint)listener.LocalEndpoint).Port);
            Assert.True(r.Healthy, r.Error);
            Assert.InRange(r.Latency, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(3));
        }
        finally
        {
            listener.Stop();
        }
        var refused = await Probe(new HealthCheck(), ClosedPort());
        Assert.False(refused.Healthy);
        Assert.Equal("connection refused", refused.Error);
        Assert.Equal("127.0.0.1:8080 Tcp unhealthy: connection refused", (refused with { Port = 8080, Latency = TimeSpan.Zero }).ToString()[..48]);
    }

    [Fact]
    public async Task Tcp_times_out_at_the_timeout_when_the_server_does_not_answer_and_the_caller_can_cancel()
    {
        // A listener whose accept queue is full drops new SYNs: a connect then waits, as to a server that hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var queued = new List<Socket>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                queued.Add(c);
                _ = c.ConnectAsync(endpoint);
            }
            await Task.Delay(200);
            var r = await Probe(new HealthCheck { Timeout = TimeSpan.FromMilliseconds(300) }, (ushort)endpoint.Port);
            Assert.Equal((false, "timed out after 0.3 s"), (r.Healthy, r.Error));
            Assert.InRange(r.Latency, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4.5));
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                Probe(new HealthCheck { Timeout = TimeSpan.FromSeconds(10) }, (ushort)endpoint.Port, cts.Token));
        }
        finally
        {
            queued.ForEach(c => c.Dispose());
        }
    }

    [SkippableFact]
    public async Task Tcp_checks_IPv6_servers_too()
    {
        Skip.IfNot(Socket.OSSupportsIPv6 && File.ReadAllText("/proc/net/if_inet6").Contains("00000000000000000000000000000001"), "no ::1 here");
        var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            var r = await HealthProber.ProbeAsync(new HealthCheck(), IPAddress.IPv6Loopback, port, NetNamespace.Current, default);
            Assert.True(r.Healthy, r.Error);
        }
        finally
        {
            listener.Stop();
        }
        var refused = await HealthProber.ProbeAsync(new HealthCheck(), IPAddress.IPv6Loopback, port, NetNamespace.Current, default);
        Assert.Equal((false, "connection refused"), (refused.Healthy, refused.Error));
    }

    [Fact]
    public async Task Http_checks_status_then_body_and_sends_path_and_host()
    {
        var (port, request) = HttpServer("HTTP/1.1 503 Service Unavailable", "down"u8.ToArray());
        var r = await Probe(new HealthCheck { Type = HealthCheckType.Http, Path = "/health?x=1", Host = "www.example.test", ExpectBody = "ok" }, port);
        Assert.False(r.Healthy);
        Assert.Equal(503, r.StatusCode);
        Assert.Equal("status 503 not in 200", r.Error);
        string sent = await request;
        Assert.StartsWith("GET /health?x=1 HTTP/1.1\r\n", sent);
        Assert.Contains("\r\nHost: www.example.test\r\n", sent);

        (port, _) = HttpServer("HTTP/1.1 503 Service Unavailable", "down"u8.ToArray());
        r = await Probe(new HealthCheck { Type = HealthCheckType.Http, ExpectStatus = [200, 503], ExpectBody = "^up$" }, port);
        Assert.Equal((false, 503, "body does not match '^up$'"), (r.Healthy, r.StatusCode, r.Error));

        (port, _) = HttpServer("HTTP/1.1 200 OK", "up"u8.ToArray());
        r = await Probe(new HealthCheck { Type = HealthCheckType.Http, ExpectBody = "^up$" }, port);
        Assert.Equal((true, 200, (string?)null), (r.Healthy, r.StatusCode, r.Error));
    }

    [Fact]
    public async Task Http_probes_share_one_handler_and_each_opens_and_closes_a_connection_of_its_own()
    {
        // One server for all the probes; it keeps each connection open after its answer, so a probe that reused one
        // would show as fewer connections than probes.
        var listener = new TcpListener(Loopback, 0);
        listener.Start();
        var requests = new List<string>();
        var held = new List<TcpClient>();
        async Task Serve(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var client = await listener.AcceptTcpClientAsync();
                held.Add(client);
                var stream = client.GetStream();
                var request = new StringBuilder();
                var buffer = new byte[4096];
                while (!request.ToString().Contains("\r\n\r\n"))
                    request.Append(Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer)));
                requests.Add(request.ToString());
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nup"u8.ToArray());
            }
        }
        var serving = Serve(5);
        var check = new HealthCheck { Type = HealthCheckType.Http, Timeout = TimeSpan.FromSeconds(7) };
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        long before = HttpProbe.HandlersCreated;
        for (int i = 0; i < 5; i++)
            Assert.True((await Probe(check, port)).Healthy);
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(HttpProbe.HandlersCreated - before, 0, 1);
        Assert.Equal(5, requests.Count);
        Assert.All(requests, r => Assert.Contains("\r\nConnection: close\r\n", r));
        listener.Stop();
        held.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Http_reads_at_most_64_KiB_of_the_body()
    {
        var body = Encoding.ASCII.GetBytes(new string('a', HealthProber.MaxBodyBytes - 4) + "MARK" + new string('b', 1 << 20) + "LATE");
        var (port, _) = HttpServer("HTTP/1.1 200 OK", body);
        Assert.True((await Probe(new HealthCheck { Type = HealthCheckType.Http, ExpectBody = "MARK" }, port)).Healthy);
        (port, _) = HttpServer("HTTP/1.1 200 OK", body);
        var r = await Probe(new HealthCheck { Type = HealthCheckType.Http, ExpectBody = "LATE" }, port);
        Assert.Equal("body does not match 'LATE'", r.Error);
    }

    [Fact]
    public async Task Dns_without_an_answer_times_out_at_the_timeout_and_a_closed_port_is_refused()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(Loopback, 0));
        var check = new HealthCheck { Type = HealthCheckType.Dns, Query = "ok.test", Timeout = TimeSpan.FromMilliseconds(300) };
        var r = await Probe(check, (ushort)((IPEndPoint)silent.LocalEndPoint!).Port);
        Assert.Equal((false, "timed out after 0.3 s"), (r.Healthy, r.Error));
        Assert.InRange(r.Latency, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4.5)); // bounded by the timeout, with room for a busy machine
        silent.Close();
        r = await Probe(check, ClosedPort());
        Assert.Equal("connection refused", r.Error);
    }

    [Fact]
    public async Task Dns_takes_the_answer_with_the_query_id_and_judges_its_rcode()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(Loopback, 0));
        var answering = Task.Run(async () =>
        {
            var buffer = new byte[512];
            var from = new IPEndPoint(IPAddress.Any, 0);
            var got = await server.ReceiveFromAsync(buffer, from);
            var query = buffer.AsSpan(0, got.ReceivedBytes).ToArray();
            var stranger = (byte[])query.Clone();
            stranger[0] ^= 0xFF; // another id first: ignored
            stranger[2] = 0x81;
            await server.SendToAsync(stranger, got.RemoteEndPoint);
            query[2] = 0x81; // QR, RD
            query[3] = 0x82; // RA, SERVFAIL
            await server.SendToAsync(query, got.RemoteEndPoint);
        });
        var r = await Probe(new HealthCheck { Type = HealthCheckType.Dns, Query = "ok.test" }, (ushort)((IPEndPoint)server.LocalEndPoint!).Port);
        await answering;
        Assert.Equal((false, 2, "answer SERVFAIL, not NOERROR"), (r.Healthy, r.StatusCode, r.Error));
    }

    [Fact]
    public async Task Command_gets_address_and_port_and_its_exit_code_decides()
    {
        var ok = new HealthCheck
        {
            Type = HealthCheckType.Command, Port = 9000,
            Command = ["sh", "-c", "[ \"$0 $1\" = \"127.0.0.1 9000\" ] && [ \"$LVS_REAL_SERVER_ADDRESS:$LVS_REAL_SERVER_PORT\" = 127.0.0.1:9000 ]"],
        };
        var r = await Probe(ok, 80);
        Assert.True(r.Healthy, r.Error);
        r = await Probe(ok with { Command = ["sh", "-c", "echo '  why it failed' >&2; exit 4"] }, 80);
        Assert.Equal((false, "exit code 4: why it failed"), (r.Healthy, r.Error));
        r = await Probe(ok with { Command = ["sh", "-c", "sleep 5"], Timeout = TimeSpan.FromMilliseconds(300) }, 80);
        Assert.Equal((false, "timed out after 0.3 s"), (r.Healthy, r.Error));
        Assert.InRange(r.Latency, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4.5)); // below the 5 s it would take unbounded
    }

    [Fact]
    public async Task Cancelling_the_caller_throws_instead_of_reporting_a_failure()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var check = new HealthCheck { Type = HealthCheckType.Command, Command = ["sh", "-c", "sleep 5"], Timeout = TimeSpan.FromSeconds(10) };
        var started = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Probe(check, 80, cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_timeout_of_zero_or_less_is_refused_before_any_probe(int seconds)
    {
        var check = new HealthCheck { Timeout = TimeSpan.FromSeconds(seconds) };
        Assert.Equal("InvalidHealthCheckTimeout", Assert.Throws<LvsException>(() => HealthProber.Validate(check)).ErrorId);
        Assert.Equal("InvalidHealthCheckTimeout", (await Assert.ThrowsAsync<LvsException>(() => Probe(check, 80))).ErrorId);
    }

    [Fact]
    public void Validate_names_each_bad_member()
    {
        static string Id(HealthCheck c) => Assert.Throws<LvsException>(() => HealthProber.Validate(c)).ErrorId;
        var http = new HealthCheck { Type = HealthCheckType.Http };
        Assert.Equal("InvalidPort", Id(http with { Port = 0 }));
        Assert.Equal("InvalidExpectStatus", Id(http with { ExpectStatus = [42] }));
        Assert.Equal("InvalidExpectStatus", Id(http with { ExpectStatus = [] }));
        Assert.Equal("InvalidExpectBody", Id(http with { ExpectBody = "(" }));
        Assert.Equal("InvalidHealthCheckPath", Id(http with { Path = "health" }));
        Assert.Equal("InvalidHealthCheckHost", Id(http with { Host = "bad host" }));
        Assert.Equal("InvalidDnsQuery", Id(new HealthCheck { Type = HealthCheckType.Dns, Query = "a..b" }));
        Assert.Equal("InvalidDnsQueryType", Id(new HealthCheck { Type = HealthCheckType.Dns, QueryType = "X" }));
        Assert.Equal("HealthCheckCommandMissing", Id(new HealthCheck { Type = HealthCheckType.Command }));
        var e = Assert.Throws<LvsException>(() => HealthProber.Validate(new HealthCheck { Type = HealthCheckType.Command, Command = ["lvst-no-such-program"] }));
        Assert.Equal(("HealthCheckCommandNotFound", LvsErrorKind.NotFound), (e.ErrorId, e.Kind));
        HealthProber.Validate(http with { Path = "/health", Host = "www.example.test:8080", ExpectStatus = [200, 204], ExpectBody = "^ok" });
        HealthProber.Validate(new HealthCheck { Type = HealthCheckType.Command, Command = ["sh", "-c", "true"] });
    }
}
