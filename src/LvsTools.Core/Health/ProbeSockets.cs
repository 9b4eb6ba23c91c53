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
/// asked for; it ends after <see cref="IdleTime"/> without a request. Handing each socket over from that thread costs
/// two thread switches per probe, so the opener keeps a small stock of fresh (unconnected) sockets of each kind asked
/// for (<see cref="StockSize"/>), topped up in one go when half of it is taken, and closed when the opener ends.
/// Before each socket is handed out the namespace's identity is checked again (<see cref="NetNamespace.Verify"/>), so a
/// namespace deleted or replaced is never probed from; it loses its stock.
/// </summary>
internal static class ProbeSockets
{
    /// <summary>How long an opener thread waits for the next request before it ends.</summary>
    internal static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(10);

    /// <summary>How many fresh sockets of one kind an opener keeps ready.</summary>
    internal const int StockSize = 16;

    private static readonly ConcurrentDictionary<NetNamespace, Opener> Openers = new();

    /// <summary>A TCP or UDP socket for <paramref name="address"/>'s family, created in <paramref name="netNamespace"/>.</summary>
    /// <exception cref="LvsException">NetNamespaceNotFound when the namespace was deleted or replaced since it was resolved.</exception>
    public static Task<Socket> OpenAsync(NetNamespace netNamespace, IPAddress address, ProtocolType protocol)
    {
        var kind = new Kind(address.AddressFamily, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol);
        if (netNamespace.IsCurrent)
            return Task.FromResult(kind.Create());
        while (true)
        {
            var opener = Openers.GetOrAdd(netNamespace, ns => new Opener(ns));
            if (opener.TryTake(kind, out var socket))
                return Task.FromResult(socket);
            var request = new Request(kind, Refill: false);
            if (opener.TryPost(request))
                return request.Socket.Task;
            Openers.TryRemove(new KeyValuePair<NetNamespace, Opener>(netNamespace, opener)); // it just ended (idle): make a new one
        }
    }

    private readonly record struct Kind(AddressFamily Family, SocketType Type, ProtocolType Protocol)
    {
        public Socket Create() => new(Family, Type, Protocol);
    }

    // A socket asked for (Refill: none asked for, the stock of that kind topped up).
    private sealed record Request(Kind Kind, bool Refill)
    {
        public TaskCompletionSource<Socket> Socket { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // One thread inside one namespace that makes sockets on request until it has been idle for IdleTime.
    private sealed class Opener
    {
        private readonly NetNamespace _namespace;
        private readonly BlockingCollection<Request> _requests = new();
        private readonly ConcurrentDictionary<Kind, ConcurrentQueue<Socket>> _stock = new();
        private readonly object _gate = new();
        private int _refilling;
        private bool _closed;

        public Opener(NetNamespace netNamespace)
        {
            _namespace = netNamespace;
            new Thread(Run, 256 * 1024) { IsBackground = true, Name = "LvsTools probe sockets " + netNamespace }.Start();
        }

        // A socket from the stock, the namespace checked again first; false when the stock of that kind is empty.
        public bool TryTake(Kind kind, out Socket socket)
        {
            try
            {
                _namespace.Verify();
            }
            catch
            {
                Close();
                throw;
            }
            socket = null!;
            if (!_stock.TryGetValue(kind, out var queue) || !queue.TryDequeue(out var taken))
                return false;
            socket = taken;
            if (queue.Count <= StockSize / 2 && Interlocked.Exchange(ref _refilling, 1) == 0 && !TryPost(new Request(kind, Refill: true)))
                Volatile.Write(ref _refilling, 0);
            return true;
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
                Close();
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
                    if (!r.Refill)
                        r.Socket.TrySetResult(r.Kind.Create());
                    var queue = _stock.GetOrAdd(r.Kind, _ => new ConcurrentQueue<Socket>());
                    while (queue.Count < StockSize && !Volatile.Read(ref _closed))
                        queue.Enqueue(r.Kind.Create());
                }
                catch (Exception e)
                {
                    r.Socket.TrySetException(e);
                }
                finally
                {
                    if (r.Refill)
                        Volatile.Write(ref _refilling, 0);
                }
            }
        }

        // No more requests; the stock is closed (a socket already handed out stays its taker's).
        private void Close()
        {
            lock (_gate)
                _closed = true;
            foreach (var queue in _stock.Values)
                while (queue.TryDequeue(out var s))
                    s.Dispose();
        }
    }
}
