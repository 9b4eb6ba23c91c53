using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

// Reading the real servers of many services over several connections at once. The kernel runs one dump per socket at
// a time (a second dump request on a busy socket is refused with EBUSY), so a read of many services takes one
// connection per dump in flight. The extra connections are opened on first use, in the client's namespace, and closed
// with the client.
public sealed partial class IpvsClient
{
    /// <summary>
    /// Below this many services a read of several services stays on the client's own connection: the threads and
    /// sockets of a parallel read cost more than they save on a small table.
    /// </summary>
    public const int ParallelReadThreshold = 64;

    private readonly Func<int, NetlinkConnection[]> _openReaders;
    private readonly object _readersGate = new();
    private NetlinkConnection[] _readers = [];
    private ReaderThreads? _piped;

    /// <summary>
    /// How many connections (netlink sockets, one thread each) a read of many services uses at once: the whole-table
    /// reads (<see cref="GetAllRealServers()"/>, <see cref="GetRealServersOf(IReadOnlyList{LvsService})"/>) from
    /// <see cref="ParallelReadThreshold"/> services on, and <see cref="GetRealServersAsync"/>. 1: the client's own only.
    /// </summary>
    public int ReadConnections
    {
        get => _readConnections;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _readConnections = value;
        }
    }

    private int _readConnections = 2;

    /// <summary>The netlink requests sent on this client's connections, the extra readers' included.</summary>
    public long RequestsSent
    {
        get
        {
            lock (_readersGate)
                return _connection.RequestsSent + _readers.Sum(r => r.RequestsSent);
        }
    }

    /// <summary>
    /// The real servers of each service, one list per service in the order given (a service deleted meanwhile has an
    /// empty list), over <paramref name="connections"/> connections at once, one thread each. When a dump fails, the
    /// failure of the first such service in the order given is thrown (as a read one service after the other would).
    /// Equivalent to: ipvsadm -Ln (the real-server half).
    /// </summary>
    public List<LvsRealServer>[] GetRealServersOf(IReadOnlyList<LvsService> services, int connections)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(connections);
        string? ns = Namespace.Name;
        var lists = new List<LvsRealServer>[services.Count];
        int count = Math.Min(connections, services.Count);
        if (count <= 1)
        {
            for (int i = 0; i < lists.Length; i++)
                lists[i] = DumpRealServers(_connection, services[i].Key, ns);
            return lists;
        }
        var pool = Readers(count);
        int next = -1, failedAt = int.MaxValue;
        ExceptionDispatchInfo? failure = null;
        void Read(NetlinkConnection connection)
        {
            for (int i; (i = Interlocked.Increment(ref next)) < lists.Length && i < Volatile.Read(ref failedAt);)
            {
                try
                {
                    lists[i] = DumpRealServers(connection, services[i].Key, ns);
                }
                catch (Exception e)
                {
                    lock (lists)
                    {
                        if (i < failedAt)
                            (failedAt, failure) = (i, ExceptionDispatchInfo.Capture(e));
                    }
                }
            }
        }
        var threads = new Thread[count - 1];
        for (int t = 0; t < threads.Length; t++)
        {
            var connection = pool[t + 1];
            threads[t] = new Thread(() => Read(connection), 256 * 1024) { IsBackground = true, Name = "LvsTools IPVS reader" };
            threads[t].Start();
        }
        Read(pool[0]);
        foreach (var t in threads)
            t.Join();
        failure?.Throw();
        return lists;
    }

    /// <summary>
    /// Starts reading the real servers of one service, as <see cref="GetRealServers(ServiceKey)"/> does, on one of
    /// <see cref="ReadConnections"/> connections with a thread each, so that reads of several services run at once
    /// while the caller goes on; the task fails as <see cref="GetRealServers(ServiceKey)"/> throws (LvsServiceNotFound when the
    /// service does not exist). Reads started one after the other may finish in any order.
    /// </summary>
    public Task<List<LvsRealServer>> GetRealServersAsync(ServiceKey service)
    {
        ReaderThreads piped;
        lock (_readersGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            piped = _piped ??= new ReaderThreads(this, Readers(ReadConnections));
        }
        return piped.Start(service);
    }

    /// <summary>The client's own connection and <paramref name="count"/> - 1 extra ones, opened as needed.</summary>
    private NetlinkConnection[] Readers(int count)
    {
        lock (_readersGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_readers.Length < count - 1)
                _readers = [.. _readers, .. _openReaders(count - 1 - _readers.Length)];
            return [_connection, .. _readers[..(count - 1)]];
        }
    }

    private void DisposeReaders()
    {
        ReaderThreads? piped;
        lock (_readersGate)
        {
            _disposed = true;
            piped = _piped;
            _piped = null;
        }
        piped?.Dispose();
        foreach (var r in _readers)
            r.Dispose();
    }

    private bool _disposed;

    /// <summary>One thread per connection, each taking the next service from a shared queue; ends with the client.</summary>
    private sealed class ReaderThreads : IDisposable
    {
        private readonly BlockingCollection<(ServiceKey Service, TaskCompletionSource<List<LvsRealServer>> Done)> _queue = new();
        private readonly Thread[] _threads;

        public ReaderThreads(IpvsClient client, NetlinkConnection[] connections) =>
            _threads = connections.Select(c =>
            {
                var t = new Thread(() =>
                {
                    foreach (var (service, done) in _queue.GetConsumingEnumerable())
                    {
                        try
                        {
                            done.SetResult(client.GetRealServers(c, service));
                        }
                        catch (Exception e)
                        {
                            done.SetException(e);
                        }
                    }
                }, 256 * 1024) { IsBackground = true, Name = "LvsTools IPVS reader" };
                t.Start();
                return t;
            }).ToArray();

        public Task<List<LvsRealServer>> Start(ServiceKey service)
        {
            var done = new TaskCompletionSource<List<LvsRealServer>>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Add((service, done));
            return done.Task;
        }

        // Reads in progress finish (the connections are closed after them); reads not started are cancelled.
        public void Dispose()
        {
            _queue.CompleteAdding();
            while (_queue.TryTake(out var job))
                job.Done.TrySetCanceled();
            foreach (var t in _threads)
                t.Join();
            _queue.Dispose();
        }
    }
}
