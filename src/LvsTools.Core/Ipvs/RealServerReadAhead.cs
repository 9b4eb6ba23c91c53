using System.Collections.Concurrent;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

/// <summary>
/// Reads the real servers of services as they arrive (one at a time, from a pipeline), several dumps in flight over up
/// to <see cref="IpvsClient.DefaultReaders"/> sockets of the namespace, and hands the results back in arrival order.
/// A dump starts only when its service has arrived, so nothing is read before it is asked for; what is read is the
/// kernel's table at that moment, as a read one at a time would be. The sockets are opened as the queue grows (one
/// service, one socket) and closed by <see cref="Dispose"/>.
/// Equivalent to: ipvsadm -Ln -t ADDR:PORT for each service, several at once.
/// </summary>
public sealed class RealServerReadAhead : IDisposable
{
    /// <summary>One service's read: its key, the caller's tag, and when done the list or the failure.</summary>
    public sealed class Item
    {
        internal Item(ServiceKey service, object? tag) => (Service, Tag) = (service, tag);

        public ServiceKey Service { get; }
        public object? Tag { get; }
        public List<LvsRealServer>? RealServers { get; internal set; }
        public Exception? Error { get; internal set; }
        internal readonly ManualResetEventSlim Done = new(false);
    }

    private readonly NetNamespace _ns;
    private readonly ushort _familyId;
    private readonly int _readers;
    private readonly BlockingCollection<Item> _work = new();
    private readonly Queue<Item> _order = new();
    private readonly List<Thread> _threads = [];
    private readonly List<IpvsClient> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private int _idle;

    /// <param name="ns">The namespace whose table is read.</param>
    /// <param name="familyId">The IPVS family's id (from an open <see cref="IpvsClient"/>).</param>
    /// <param name="readers">Sockets at most.</param>
    /// <param name="window">Services read ahead at most before <see cref="Next"/> waits for the oldest.</param>
    public RealServerReadAhead(NetNamespace ns, ushort familyId, int readers = IpvsClient.DefaultReaders, int window = 64)
    {
        _ns = ns;
        _familyId = familyId;
        _readers = Math.Clamp(readers, 1, 16);
        Window = Math.Max(1, window);
    }

    /// <summary>The namespace read.</summary>
    public NetNamespace Namespace => _ns;

    /// <summary>Services read ahead at most.</summary>
    public int Window { get; }

    /// <summary>Services given and not yet handed back.</summary>
    public int Pending => _order.Count;

    /// <summary>Starts reading the real servers of <paramref name="service"/>.</summary>
    public void Add(ServiceKey service, object? tag = null)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        var item = new Item(service, tag);
        _order.Enqueue(item);
        // One more socket while every reader is busy, up to the limit.
        if (Volatile.Read(ref _idle) == 0 && _threads.Count < _readers)
            StartReader();
        _work.Add(item);
    }

    /// <summary>
    /// The oldest read, when it is done (or, with <paramref name="wait"/> or a full window, once it is); null when there
    /// is none to hand back yet.
    /// </summary>
    public Item? Next(bool wait)
    {
        if (_order.Count == 0)
            return null;
        var head = _order.Peek();
        if (!head.Done.IsSet && !(wait || _order.Count >= Window))
            return null;
        head.Done.Wait(_stop.Token);
        return _order.Dequeue();
    }

    private void StartReader()
    {
        var thread = new Thread(Read, 1 << 20) { IsBackground = true, Name = "LvsTools read-ahead" };
        lock (_clients)
            _threads.Add(thread);
        thread.Start();
    }

    private void Read()
    {
        IpvsClient? client = null;
        try
        {
            while (true)
            {
                Interlocked.Increment(ref _idle);
                Item item;
                try
                {
                    item = _work.Take(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
                {
                    return;
                }
                finally
                {
                    Interlocked.Decrement(ref _idle);
                }
                try
                {
                    if (client is null)
                    {
                        client = new IpvsClient(_ns.Connect(NetlinkProtocol.Generic), _familyId, _ns);
                        lock (_clients)
                            _clients.Add(client);
                    }
                    item.RealServers = client.GetRealServers(item.Service);
                }
                catch (Exception e)
                {
                    item.Error = e;
                }
                item.Done.Set();
            }
        }
        finally
        {
            lock (_clients)
                if (client is not null)
                    _clients.Remove(client);
            client?.Dispose();
        }
    }

    /// <summary>Stops the readers (a dump in flight ends first) and closes their sockets.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
            return;
        _work.CompleteAdding();
        _stop.Cancel();
        List<Thread> threads;
        lock (_clients)
            threads = [.. _threads];
        foreach (var t in threads)
            t.Join();
        _work.Dispose();
        _stop.Dispose();
    }
}
