using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace LvsTools.Core.Lab;

/// <summary>
/// One real server's HTTP server: a listening socket opened inside the real server's namespace (where it stays),
/// answering every request with 200 and a JSON body naming the server and the client address it saw. Its state says
/// what it does with the next connection: Up answers, Slow answers after <see cref="Delay"/>, Hang never answers,
/// Down closes the listening socket (connections are refused).
/// </summary>
internal sealed class LabHttpServer(string lab, string name, NetNamespace ns, AddressFamily family, ushort port)
{
    private readonly object _gate = new();
    private Socket? _listener;

    public string Name { get; } = name;
    public LvsLabServerState State { get; private set; } = LvsLabServerState.Up;
    public TimeSpan Delay { get; private set; }

    /// <summary>Changes the state; Down closes the listening socket, any other state opens it again.</summary>
    public void Set(LvsLabServerState state, TimeSpan delay)
    {
        lock (_gate)
        {
            if (state == LvsLabServerState.Down)
            {
                _listener?.Dispose();
                _listener = null;
            }
            else if (_listener is null)
            {
                var listener = ns.Run(() =>
                {
                    var s = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                        s.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, port));
                        s.Listen(1024);
                        return s;
                    }
                    catch
                    {
                        s.Dispose();
                        throw;
                    }
                });
                _listener = listener;
                _ = AcceptLoop(listener);
            }
            State = state;
            Delay = delay;
        }
    }

    private async Task AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!ReferenceEquals(listener, _listener))
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = Serve(client, State, Delay);
        }
    }

    /// <summary>
    /// Waits no less than <paramref name="delay"/> by the monotonic clock. Task.Delay's timer counts whole milliseconds of
    /// a coarser clock and can end up to a millisecond early (a CI run measured a 600 ms Slow answer at 599.15 ms), while
    /// a Slow server promises the client at least its delay.
    /// </summary>
    internal static async Task DelayAtLeast(TimeSpan delay)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var left = delay; left > TimeSpan.Zero; left = delay - System.Diagnostics.Stopwatch.GetElapsedTime(start))
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds))).ConfigureAwait(false); // Task.Delay drops a fraction
    }

    private async Task Serve(Socket client, LvsLabServerState state, TimeSpan delay)
    {
        using var _ = client;
        try
        {
            var buffer = new byte[8192];
            if (state == LvsLabServerState.Hang)
            {
                // Read and never answer, until the client gives up (or ten minutes pass).
                using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(10));
                while (await client.ReceiveAsync(buffer, SocketFlags.None, hang.Token).ConfigureAwait(false) > 0) { }
                return;
            }
            using var read = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int n = 0;
            while (n < buffer.Length)
            {
                int r = await client.ReceiveAsync(buffer.AsMemory(n), SocketFlags.None, read.Token).ConfigureAwait(false);
                if (r == 0)
                    break;
                n += r;
                if (buffer.AsSpan(0, n).IndexOf("\r\n\r\n"u8) >= 0)
                    break;
            }
            if (n == 0)
                return; // a TCP check: connected and closed
            if (state == LvsLabServerState.Slow)
                await DelayAtLeast(delay).ConfigureAwait(false);
            var remote = (IPEndPoint)client.RemoteEndPoint!;
            var local = (IPEndPoint)client.LocalEndPoint!;
            var body = JsonSerializer.SerializeToUtf8Bytes(new LabAnswer(lab, Name, remote.Address.ToString(), remote.Port,
                local.Address.ToString(), local.Port, state.ToString()), LabAnswer.Json);
            var head = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n" +
                $"X-Lvs-Lab-Server: {Name}\r\nConnection: close\r\n\r\n");
            await client.SendAsync(head, SocketFlags.None).ConfigureAwait(false);
            await client.SendAsync(body, SocketFlags.None).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away: nothing to answer
        }
    }
}

/// <summary>The body a lab's HTTP server answers: which lab and server answered, and the client address and port it saw.</summary>
public sealed record LabAnswer(string Lab, string Server, string Client, int ClientPort, string Local, int LocalPort, string State)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
