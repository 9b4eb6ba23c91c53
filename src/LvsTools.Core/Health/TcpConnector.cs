using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Health;

/// <summary>
/// TCP checks (keepalived's TCP_CHECK: a connection accepted, then closed), all waited for on one thread, as keepalived's
/// checker waits for its connects in one epoll loop: each check takes a fresh socket created in its namespace (the
/// stock of <see cref="ProbeSockets"/>), starts a non-blocking connect(2), and one poll(2) waits for every connect in
/// flight and for new requests (an eventfd). The result completes the caller's task on that thread, so a refused
/// connection reaches the caller without passing through .NET's socket engine and thread pool: on a busy one-CPU
/// director each of those hops is a wait for the CPU, and they took 20-110 ms of a failing probe in User-mode Linux.
/// The thread stays in the process's own network namespace (a socket keeps the namespace it was created in, whatever
/// thread connects it), so the callers' code that runs on after a result runs where it would on any thread of the pool.
/// It ends after <see cref="IdleTime"/> without a check; the next check starts another.
/// </summary>
internal sealed class TcpConnector
{
    /// <summary>How long the thread waits for the next check before it ends.</summary>
    internal static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(10);

    private static readonly object Current = new();
    private static TcpConnector? _running;

    private readonly ConcurrentQueue<Check> _incoming = new();
    private readonly object _gate = new();
    private readonly int _wake;
    private bool _closed, _wakeClosed;

    /// <summary>
    /// Connects to <paramref name="endpoint"/> from <paramref name="netNamespace"/> and closes the connection at once.
    /// The task ends with null when the connection was accepted, with the failure in words ("connection refused") when
    /// it was not, and as cancelled when <paramref name="cancellationToken"/> is cancelled first (the caller's timeout).
    /// </summary>
    /// <exception cref="LvsException">NetNamespaceNotFound when the namespace was deleted or replaced since it was resolved.</exception>
    public static async Task<string?> ConnectAsync(NetNamespace netNamespace, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var socket = await ProbeSockets.OpenAsync(netNamespace, endpoint.Address, ProtocolType.Tcp).ConfigureAwait(false);
        var check = new Check(socket, endpoint, cancellationToken);
        try
        {
            socket.Blocking = false;
            if (cancellationToken.CanBeCanceled)
                check.Registration = cancellationToken.Register(static c => ((Check)c!).Connector?.Signal(), check);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        while (true)
        {
            TcpConnector connector;
            lock (Current)
                connector = _running ??= new TcpConnector();
            check.Connector = connector;
            if (connector.TryPost(check))
                return await check.Task.ConfigureAwait(false);
            lock (Current)
            {
                if (_running == connector)
                    _running = null; // it just ended (idle): start another
            }
        }
    }

    // One check: its socket and target, its caller's token. Its task's continuations run on the connector's thread (no
    // RunContinuationsAsynchronously: that hop is what the connector saves).
    private sealed class Check(Socket socket, IPEndPoint endpoint, CancellationToken token) : TaskCompletionSource<string?>
    {
        public Socket Socket { get; } = socket;
        public IPEndPoint EndPoint { get; } = endpoint;
        public CancellationToken Token { get; } = token;
        public int Fd => (int)Socket.SafeHandle.DangerousGetHandle();
        public CancellationTokenRegistration Registration { get; set; }
        // The connector it was posted to: a cancellation wakes that one's thread.
        public volatile TcpConnector? Connector;
    }

    private TcpConnector()
    {
        _wake = Native.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC);
        if (_wake < 0)
            throw new NetlinkException("eventfd", Native.LastErrno);
        new Thread(Run, 256 * 1024) { IsBackground = true, Name = "LvsTools TCP checks" }.Start();
    }

    private bool TryPost(Check check)
    {
        lock (_gate)
        {
            if (_closed)
                return false;
            _incoming.Enqueue(check);
            Signal();
        }
        return true;
    }

    // Under the gate, so that it never writes to the eventfd's number after the thread closed it (and it was reused).
    private unsafe void Signal()
    {
        lock (_gate)
        {
            if (_wakeClosed)
                return;
            ulong one = 1;
            Native.write(_wake, (byte*)&one, sizeof(ulong)); // EAGAIN only when the counter is full: a wake is pending then
        }
    }

    private void Run()
    {
        var inFlight = new List<Check>();
        try
        {
            // It starts in the namespace of the thread that started it, which may be inside another (a caller on one of
            // NetNamespace.Run's threads): its callers' code runs on after each result, so it moves to the process's own.
            NetNamespace.EnterProcessNamespace();
            Serve(inFlight);
        }
        catch (Exception e)
        {
            lock (_gate)
                _closed = true;
            foreach (var c in inFlight)
                Finish(c, error: null, failure: e);
            while (_incoming.TryDequeue(out var c))
                Finish(c, error: null, failure: e);
        }
        finally
        {
            lock (Current)
            {
                if (_running == this)
                    _running = null;
            }
            lock (_gate)
            {
                _closed = _wakeClosed = true;
                Native.close(_wake);
            }
        }
    }

    // Begin what was asked for, drop what was cancelled, wait, finish what answered.
    private unsafe void Serve(List<Check> inFlight)
    {
        var fds = new Native.PollFd[16];
        while (true)
        {
            while (_incoming.TryDequeue(out var c))
                Begin(c, inFlight);
            for (int i = inFlight.Count - 1; i >= 0; i--)
            {
                if (inFlight[i].Token.IsCancellationRequested)
                {
                    Finish(inFlight[i], error: null);
                    inFlight.RemoveAt(i);
                }
            }
            if (fds.Length < inFlight.Count + 1)
                fds = new Native.PollFd[inFlight.Count * 2 + 1];
            fds[0] = new Native.PollFd { Fd = _wake, Events = Native.POLLIN };
            for (int i = 0; i < inFlight.Count; i++)
                fds[i + 1] = new Native.PollFd { Fd = inFlight[i].Fd, Events = Native.POLLOUT };
            int ready;
            fixed (Native.PollFd* p = fds)
                ready = Native.poll(p, (ulong)(inFlight.Count + 1), inFlight.Count == 0 ? (int)IdleTime.TotalMilliseconds : -1);
            if (ready < 0)
            {
                int errno = Native.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                throw new NetlinkException("poll", errno);
            }
            if (ready == 0 && inFlight.Count == 0)
            {
                lock (_gate)
                {
                    if (!_incoming.IsEmpty)
                        continue;
                    _closed = true;
                    return;
                }
            }
            if ((fds[0].REvents & Native.POLLIN) != 0)
            {
                ulong count;
                Native.read(_wake, (byte*)&count, sizeof(ulong));
            }
            for (int i = inFlight.Count - 1; i >= 0; i--)
            {
                if (fds[i + 1].REvents == 0)
                    continue;
                int error = 0, length = sizeof(int);
                if (Native.getsockopt(inFlight[i].Fd, Native.SOL_SOCKET, Native.SO_ERROR, &error, &length) != 0)
                    error = Native.LastErrno;
                error = Outcome(fds[i + 1].REvents, error);
                Finish(inFlight[i], error == 0 ? null : HealthProber.Describe(error));
                inFlight.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// What a connect in flight came to, from poll(2)'s revents for it and its SO_ERROR: 0 when the connection was
    /// accepted, else the errno. A failed connect holds its error in SO_ERROR and polls POLLERR and POLLHUP (with POLLOUT
    /// as well on Linux: a closed TCP socket polls writable). A socket that polls POLLERR or POLLHUP, or lacks POLLOUT,
    /// with no error pending was not connected either: ENOTCONN, never a healthy result.
    /// </summary>
    internal static int Outcome(short revents, int error) =>
        error != 0 ? error
        : (revents & Native.POLLOUT) == 0 || (revents & (Native.POLLERR | Native.POLLHUP)) != 0 ? Errno.ENOTCONN
        : 0;

    private static unsafe void Begin(Check c, List<Check> inFlight)
    {
        if (c.Token.IsCancellationRequested)
        {
            Finish(c, error: null);
            return;
        }
        byte* address = stackalloc byte[28];
        int length = Sockaddr(c.EndPoint, new Span<byte>(address, 28));
        int result = Native.connect(c.Fd, address, length);
        int errno = result == 0 ? 0 : Native.LastErrno;
        if (errno is Errno.EINPROGRESS or Errno.EINTR) // EINTR: the connect goes on, as after EINPROGRESS
            inFlight.Add(c);
        else
            Finish(c, errno == 0 ? null : HealthProber.Describe(errno));
    }

    // struct sockaddr_in / sockaddr_in6: the family and the scope id in host order, the port and address in network order.
    internal static int Sockaddr(IPEndPoint endpoint, Span<byte> buffer)
    {
        buffer.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)endpoint.Port);
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            MemoryMarshal.Write(buffer, (ushort)Native.AF_INET6);
            endpoint.Address.TryWriteBytes(buffer[8..24], out _);
            MemoryMarshal.Write(buffer[24..], (uint)endpoint.Address.ScopeId);
            return 28;
        }
        MemoryMarshal.Write(buffer, (ushort)Native.AF_INET);
        endpoint.Address.TryWriteBytes(buffer[4..8], out _);
        return 16;
    }

    // Closes the check's socket and ends its task: null error and no failure means cancelled when asked, else accepted.
    private static void Finish(Check c, string? error, Exception? failure = null)
    {
        c.Socket.Dispose();
        c.Registration.Dispose();
        if (failure is not null)
            c.TrySetException(failure);
        else if (c.Token.IsCancellationRequested)
            c.TrySetCanceled(c.Token);
        else
            c.TrySetResult(error);
    }
}
