using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace LvsTools.Core.Health;

/// <summary>
/// Opens probe sockets inside a network namespace. A socket belongs to the namespace of the thread that created
/// it, for its whole life: it is created on a thread that has entered the namespace, and then connected, written and
/// read from any thread. `ip netns exec NS nc -z ADDR PORT` is the command-line twin.
/// Entering a namespace costs a thread of its own (<see cref="NetNamespace.Run{T}"/>): about 0.8 ms of CPU, five times
/// the probe itself. So each namespace in use gets one opener thread that stays inside it and creates the sockets
/// asked for; it ends after <see cref="IdleTime"/> without a request. Before each socket the namespace's identity is
/// checked again (<see cref="NetNamespace.Verify"/>), so a namespace deleted or replaced is never probed from.
/// </summary>
internal static class ProbeSockets
{
    /// <summary>How long an opener thread waits for the next request before it ends.</summary>
    internal static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(10);

    private static readonly ConcurrentDictionary<NetNamespace, Opener> Openers = new();

    /// <summary>A TCP or UDP socket for <paramref name="address"/>'s family, created in <paramref name="netNamespace"/>.</summary>
    /// <exception cref="LvsException">NetNamespaceNotFound when the namespace was deleted or replaced since it was resolved.</exception>
    public static Task<Socket> OpenAsync(NetNamespace netNamespace, IPAddress address, ProtocolType protocol)
    {
        var type = protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream;
        if (netNamespace.IsCurrent)
            return Task.FromResult(new Socket(address.AddressFamily, type, protocol));
        netNamespace.Verify();
        var request = new Request(address.AddressFamily, type, protocol);
        Opener opener;
        while (!(opener = Openers.GetOrAdd(netNamespace, ns => new Opener(ns))).TryPost(request))
            Openers.TryRemove(new KeyValuePair<NetNamespace, Opener>(netNamespace, opener)); // it just ended (idle): make a new one
        return request.Socket.Task;
    }

    /// <summary>A TCP socket created in the namespace and connected to the endpoint; disposed when the connect fails.</summary>
    public static async Task<Socket> ConnectTcpAsync(NetNamespace netNamespace, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = await OpenAsync(netNamespace, endpoint.Address, ProtocolType.Tcp).ConfigureAwait(false);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed record Request(AddressFamily Family, SocketType Type, ProtocolType Protocol)
    {
        public TaskCompletionSource<Socket> Socket { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // One thread inside one namespace that makes sockets on request until it has been idle for IdleTime.
    private sealed class Opener
    {
        private readonly NetNamespace _namespace;
        private readonly BlockingCollection<Request> _requests = new();
        private readonly object _gate = new();
        private bool _closed;

        public Opener(NetNamespace netNamespace)
        {
            _namespace = netNamespace;
            new Thread(Run, 256 * 1024) { IsBackground = true, Name = "LvsTools probe sockets " + netNamespace }.Start();
        }

        public bool TryPost(Request request)
        {
            lock (_gate)
            {
                if (_closed)
                    return false;
                _requests.Add(request);
                return true;
            }
        }

        private void Run()
        {
            try
            {
                _namespace.Run(Serve);
            }
            catch (Exception e)
            {
                Close();
                while (_requests.TryTake(out var r))
                    r.Socket.TrySetException(e);
            }
            finally
            {
                Openers.TryRemove(new KeyValuePair<NetNamespace, Opener>(_namespace, this));
            }
        }

        // On the namespace's own thread.
        private void Serve()
        {
            while (true)
            {
                if (!_requests.TryTake(out var r, IdleTime))
                {
                    lock (_gate)
                    {
                        if (_requests.Count > 0)
                            continue;
                        _closed = true;
                        return;
                    }
                }
                try
                {
                    r.Socket.TrySetResult(new Socket(r.Family, r.Type, r.Protocol));
                }
                catch (Exception e)
                {
                    r.Socket.TrySetException(e);
                }
            }
        }

        private void Close()
        {
            lock (_gate)
                _closed = true;
        }
    }
}
