using LvsTools.Core.Netlink;

namespace LvsTools.Core.Ipvs;

public sealed partial class IpvsClient
{
    /// <summary>
    /// How many sockets a read of many services' real servers uses by default: one. IPVS has no dump of all
    /// destinations and the kernel runs one dump per socket at a time; more sockets overlap the round trips, which helps a
    /// reader that does little per reply (bench/RawIpvs: 2.81 s on one socket, 1.77 s on two, in UML), but this client's
    /// dumps are bound by decoding on UML's one CPU (10,000 x 4: 2.65 s on one socket, 2.68 s on four), so the default
    /// stays one and a caller on a machine with cores to spare may ask for more.
    /// </summary>
    public const int DefaultReaders = 1;

    /// <summary>Below this many services one socket is used: opening more costs more than it saves.</summary>
    public const int ParallelReadThreshold = 64;

    private long _readerRequests;

    // Only a client that opened its own socket opens more (one built on a given connection, a fake in tests, does not).
    private bool _opensReaders;

    /// <summary>
    /// Netlink requests this client sent: those of <see cref="Connection"/> and those of the extra sockets that
    /// <see cref="GetRealServersOf"/> opened for a parallel read.
    /// </summary>
    public long RequestsSent => _connection.RequestsSent + Interlocked.Read(ref _readerRequests);

    /// <summary>
    /// The real servers of each service, one list per service in the order given (a service deleted meanwhile has an
    /// empty list), read with one dump per service over up to <paramref name="readers"/> sockets at once: this client's
    /// own and <c>readers - 1</c> more opened in the same namespace for the read and closed after it.
    /// Equivalent to: ipvsadm -Ln (the real-server half).
    /// </summary>
    public List<LvsRealServer>[] GetRealServersOf(IReadOnlyList<LvsService> services, int readers = DefaultReaders)
    {
        ArgumentNullException.ThrowIfNull(services);
        string? ns = Namespace.Name;
        var lists = new List<LvsRealServer>[services.Count];
        int extra = !_opensReaders || services.Count < ParallelReadThreshold ? 0 : Math.Clamp(readers, 1, 16) - 1;
        if (extra == 0)
        {
            for (int i = 0; i < lists.Length; i++)
                lists[i] = DumpRealServers(services[i].Key, ns);
            return lists;
        }
        var connections = Namespace.Connect(NetlinkProtocol.Generic, extra);
        var clients = connections.Select(c => new IpvsClient(c, FamilyId, Namespace)).ToArray();
        int next = -1;
        void Work(IpvsClient client)
        {
            for (int i; (i = Interlocked.Increment(ref next)) < lists.Length;)
                lists[i] = client.DumpRealServers(services[i].Key, ns);
        }
        try
        {
            var workers = clients.Select(c => Task.Factory.StartNew(() => Work(c), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            Exception? failed = null;
            try
            {
                Work(this);
            }
            catch (Exception e)
            {
                // Stop the others at their next service, then report this failure.
                Interlocked.Exchange(ref next, lists.Length);
                failed = e;
            }
            try
            {
                Task.WaitAll(workers);
            }
            catch (AggregateException e) when (failed is null)
            {
                failed = e.InnerExceptions[0];
            }
            catch (AggregateException)
            {
            }
            if (failed is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
            return lists;
        }
        finally
        {
            foreach (var c in clients)
            {
                Interlocked.Add(ref _readerRequests, c.Connection.RequestsSent);
                c.Dispose();
            }
        }
    }
}
