using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Health;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Controller;

/// <summary>
/// The controller's TCP checks (keepalived's TCP_CHECK), run as keepalived's checker runs them: one thread and one loop
/// that keeps the servers' schedule itself, starts each connect when it is due (a non-blocking connect(2) on a socket made
/// in the director's namespace), waits in one poll(2) for every connect in flight, for the next due time and for new
/// targets, and reports each result from that thread. There is no task, timer, cancellation source or thread-pool hop
/// per check: in User-mode Linux, where each system call and thread switch is a trip through the host, that path (a
/// pool thread to start a check, the checks' thread to wait for it, the namespace's thread for its socket) took 1.5-1.9 ms
/// of CPU per check against keepalived's 0.3 ms.
/// The schedule is <see cref="HealthMonitor"/>'s: each server on its own interval at a fixed rate, never two probes of one
/// server at once, at most <c>maxInFlight</c> connects at a time; a connect not answered within the check's timeout fails
/// ("timed out after 3 s"). Sockets are made <see cref="Batch"/> at a time in one visit of the thread to the namespace
/// (<see cref="NetNamespace.Visitor"/>, which checks its identity); before a socket is used, the identity is checked
/// again when the last check is older than <see cref="VerifyEvery"/>, so a namespace deleted or replaced is not probed
/// from after that. A fault of the loop itself ends its thread, every check in flight reported failed with it; the next
/// <see cref="SetTargets"/> (each full cycle) starts another.
/// </summary>
internal sealed partial class TcpCheckLoop(NetNamespace netNamespace, int maxInFlight, Action<RealServerId, ProbeOutcome> report)
{
    /// <summary>How many sockets one visit to the namespace makes.</summary>
    internal const int Batch = 16;

    /// <summary>How old the last check of the namespace's identity may be when a socket is taken.</summary>
    internal static readonly TimeSpan VerifyEvery = TimeSpan.FromSeconds(1);

    private readonly int _maxInFlight = Math.Max(1, maxInFlight);
    private readonly object _gate = new();
    // Posted by other threads (under _gate), taken by the loop.
    private List<ControlledRealServer>? _posted;
    private readonly List<TaskCompletionSource> _rounds = [];
    private bool _stopping;
    private Thread? _thread;
    private int _wake = -1, _count;
    // The loop's own (its thread only).
    private readonly Dictionary<RealServerId, Target> _targets = [];
    private readonly PriorityQueue<Target, long> _queue = new();
    private readonly List<Target> _inFlight = [];
    private readonly Stack<int> _stock4 = new(), _stock6 = new();
    private long _verified;
    private NetNamespace.Visitor? _visitor;
    private static readonly List<TaskCompletionSource> Empty = [];
    private static readonly List<Round> NoRounds = [];

    // A server and its check (a server whose check changes gets a new one): its schedule, its connect in flight, and the
    // address it connects to, as connect(2) takes it, made once.
    private sealed class Target
    {
        public Target(ControlledRealServer server, long due)
        {
            (Server, Due) = (server, due);
            var endpoint = new IPEndPoint(server.Server.Address, server.Check!.PortFor(server.Server.Port));
            SockaddrLength = TcpConnector.Sockaddr(endpoint, Sockaddr);
            Family = endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? Native.AF_INET6 : Native.AF_INET;
        }

        public ControlledRealServer Server;
        public readonly byte[] Sockaddr = new byte[28];
        public readonly int SockaddrLength, Family;
        public long Due, Started, Deadline;
        public int Fd = -1;
        public bool Running, Dropped;
        public Target? Next; // its replacement (the check changed while it ran), queued when it ends
        public List<Round>? Rounds;
        public HealthCheck Check => Server.Check!;
    }

    private sealed class Round(TaskCompletionSource done)
    {
        public int Remaining;
        public TaskCompletionSource Done { get; } = done;
    }

    /// <summary>The servers it probes.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Sets the servers to probe (their checks all TCP). One probed already with the same check keeps its schedule; a new
    /// one, or one whose check changed, is due now; one no longer listed is not probed again. Starts the thread if needed.
    /// </summary>
    public void SetTargets(IEnumerable<ControlledRealServer> servers)
    {
        var list = servers.ToList();
        lock (_gate)
        {
            _posted = list;
            _count = list.Count;
            if (_thread is null)
            {
                _wake = Native.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC);
                if (_wake < 0)
                    throw new NetlinkException("eventfd", Native.LastErrno);
                _stopping = false;
                _thread = new Thread(Run, 256 * 1024) { IsBackground = true, Name = "LvsTools TCP loop" };
                _thread.Start();
            }
            Signal();
        }
    }

    /// <summary>Completes when every server due now, or being probed now, has been probed (or the loop stopped).</summary>
    public Task RoundAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_thread is null)
                return Task.CompletedTask;
            _rounds.Add(done);
            Signal();
        }
        return done.Task;
    }

    /// <summary>Ends the thread and waits for it: the checks in flight are closed unreported (they say nothing about a server).</summary>
    public void Stop()
    {
        Thread? thread;
        lock (_gate)
        {
            thread = _thread;
            _stopping = true;
            Signal();
        }
        if (thread is not null && thread != Thread.CurrentThread)
            thread.Join();
    }

    private unsafe void Signal()
    {
        if (_wake < 0)
            return;
        ulong one = 1;
        Native.write(_wake, (byte*)&one, sizeof(ulong)); // EAGAIN only when the counter is full: a wake is pending then
    }

    private unsafe void Run()
    {
        var fds = new Native.PollFd[16];
        try
        {
            while (true)
            {
                long now = Stopwatch.GetTimestamp();
                if (!TakePosted(now))
                    return;
                Expire(now);
                StartDue(now);
                int count = _inFlight.Count + 1;
                if (fds.Length < count)
                    fds = new Native.PollFd[count * 2];
                fds[0] = new Native.PollFd { Fd = _wake, Events = Native.POLLIN };
                for (int i = 0; i < _inFlight.Count; i++)
                    fds[i + 1] = new Native.PollFd { Fd = _inFlight[i].Fd, Events = Native.POLLOUT };
                int ready;
                fixed (Native.PollFd* p = fds)
                    ready = Native.poll(p, (ulong)count, PollTimeout(now));
                if (ready < 0)
                {
                    int errno = Native.LastErrno;
                    if (errno == Errno.EINTR)
                        continue;
                    throw new NetlinkException("poll", errno);
                }
                if ((fds[0].REvents & Native.POLLIN) != 0)
                {
                    ulong value;
                    Native.read(_wake, (byte*)&value, sizeof(ulong));
                    ready--;
                }
                if (ready <= 0)
                    continue;
                long end = Stopwatch.GetTimestamp();
                for (int i = _inFlight.Count - 1; i >= 0; i--)
                {
                    short revents = fds[i + 1].REvents;
                    if (revents == 0)
                        continue;
                    var t = _inFlight[i];
                    _inFlight.RemoveAt(i);
                    int error = 0, length = sizeof(int);
                    if (Native.getsockopt(t.Fd, Native.SOL_SOCKET, Native.SO_ERROR, &error, &length) != 0)
                        error = Native.LastErrno;
                    error = TcpConnector.Outcome(revents, error);
                    Finish(t, error == 0 ? null : HealthProber.Describe(error), end);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var t in _inFlight)
                Report(t, new ProbeOutcome(false, "the TCP check loop failed: " + e.Message));
        }
        finally
        {
            Close();
        }
    }

    // The thread's end: every socket closed, every round completed, the state forgotten; the next SetTargets starts another.
    private void Close()
    {
        foreach (var t in _inFlight)
        {
            Native.close(t.Fd);
            EndRounds(t);
        }
        _inFlight.Clear();
        while (_stock4.TryPop(out int fd) || _stock6.TryPop(out fd))
            Native.close(fd);
        _visitor?.Dispose();
        _visitor = null;
        foreach (var t in _targets.Values)
            EndRounds(t);
        _targets.Clear();
        _queue.Clear();
        lock (_gate)
        {
            foreach (var done in _rounds)
                done.TrySetResult();
            _rounds.Clear();
            Native.close(_wake);
            _wake = -1;
            _thread = null;
        }
    }
}
