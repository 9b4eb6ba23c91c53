namespace LvsTools.Core.Netlink;

/// <summary>
/// What the engine needs from a socket. The real one is <see cref="NetlinkSocket"/>; tests hand the engine
/// a fake that maps requests to canned replies.
/// </summary>
public interface INetlinkTransport : IDisposable
{
    /// <summary>The port id the kernel assigned (nl_pid); replies carry it.</summary>
    uint PortId { get; }

    /// <summary>Sends one datagram (one or more messages).</summary>
    void Send(ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/> and returns its length. Throws
    /// <see cref="NetlinkTimeoutException"/> when nothing arrives in time and <see cref="NetlinkException"/>
    /// (ENOBUFS) when the kernel dropped messages.
    /// </summary>
    int Receive(Span<byte> buffer, TimeSpan timeout);
}

/// <summary>Netlink protocol numbers (the third argument of socket(2)).</summary>
public enum NetlinkProtocol
{
    Route = 0,
    Generic = 16,
}

/// <summary>An AF_NETLINK socket opened through libc, bound to a kernel-assigned port id.</summary>
public sealed unsafe class NetlinkSocket : INetlinkTransport
{
    private const int BufferSize = 4 << 20;
    private int _fd;
    // The second datagram of a recvmmsg, not handed out yet. Not zeroed: the pages the kernel never writes stay untouched.
    private byte[]? _ahead;
    private int _aheadLength = -1;

    private NetlinkSocket(int fd, uint portId)
    {
        _fd = fd;
        PortId = portId;
    }

    public uint PortId { get; }

    /// <summary>
    /// Opens a socket in the calling thread's network namespace (use <see cref="NetNamespace.Run{T}"/> to open
    /// it in another; the socket stays there afterwards, whatever thread uses it).
    /// </summary>
    public static NetlinkSocket Open(NetlinkProtocol protocol)
    {
        int fd = Native.socket(Native.AF_NETLINK, Native.SOCK_RAW | Native.SOCK_CLOEXEC, (int)protocol);
        if (fd < 0)
            throw new NetlinkException("socket(AF_NETLINK)", Native.LastErrno);
        try
        {
            int one = 1, size = BufferSize;
            // Large buffers keep big dumps and batches flowing; the FORCE variants need CAP_NET_ADMIN and are optional.
            if (Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVBUFFORCE, &size, sizeof(int)) != 0)
                Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVBUF, &size, sizeof(int));
            if (Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_SNDBUFFORCE, &size, sizeof(int)) != 0)
                Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_SNDBUF, &size, sizeof(int));
            // Extended acks carry the kernel's reason text; capped acks do not echo our whole request back.
            Native.setsockopt(fd, Native.SOL_NETLINK, Native.NETLINK_EXT_ACK, &one, sizeof(int));
            Native.setsockopt(fd, Native.SOL_NETLINK, Native.NETLINK_CAP_ACK, &one, sizeof(int));
            var addr = new Native.SockaddrNl { Family = Native.AF_NETLINK };
            if (Native.bind(fd, &addr, sizeof(Native.SockaddrNl)) != 0)
                throw new NetlinkException("bind(AF_NETLINK)", Native.LastErrno);
            int len = sizeof(Native.SockaddrNl);
            if (Native.getsockname(fd, &addr, &len) != 0)
                throw new NetlinkException("getsockname(AF_NETLINK)", Native.LastErrno);
            return new NetlinkSocket(fd, addr.Pid);
        }
        catch
        {
            Native.close(fd);
            throw;
        }
    }

    public void Send(ReadOnlySpan<byte> datagram)
    {
        fixed (byte* p = datagram)
        {
            while (true)
            {
                nint n = Native.send(Fd, p, datagram.Length, 0);
                if (n >= 0)
                {
                    if (n != datagram.Length)
                        throw new NetlinkProtocolException($"short send: {n} of {datagram.Length} bytes");
                    return;
                }
                int errno = Native.LastErrno;
                if (errno != Errno.EINTR)
                    throw new NetlinkException("sendmsg", errno);
            }
        }
    }

    /// <summary>
    /// Tries the socket first and waits (poll) only when nothing is queued: the kernel has usually queued the answer by the
    /// time sendmsg returns, so most datagrams cost one system call instead of two (a lot under User-mode Linux). One
    /// recvmmsg takes up to two datagrams: the second is kept and handed out by the next call without a system call. A dump
    /// whose last chunk is followed by NLMSG_DONE (queued by the kernel while the chunk is being received) then costs one
    /// receive instead of two: a read of one real-server dump per service is send + one receive.
    /// </summary>
    public int Receive(Span<byte> buffer, TimeSpan timeout)
    {
        _ = Fd; // disposed: ObjectDisposedException, even for a datagram received ahead
        if (_aheadLength >= 0)
            return TakeAhead(buffer);
        long deadline = -1;
        while (true)
        {
            int n = Environment.Is64BitProcess ? ReceiveTwo(buffer) : ReceiveOne(buffer);
            if (n >= 0)
                return n;
            if (deadline < 0)
                deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            if (!Wait(deadline))
                throw new NetlinkTimeoutException("recvmsg", timeout);
        }
    }

    /// <summary>One datagram into <paramref name="buffer"/>, the next one (if queued) into the look-ahead; -1 when none is queued.</summary>
    private int ReceiveTwo(Span<byte> buffer)
    {
        _ahead ??= GC.AllocateUninitializedArray<byte>(buffer.Length);
        fixed (byte* first = buffer)
        fixed (byte* second = _ahead)
        {
            var iov = stackalloc Native.IoVec[2];
            iov[0] = new Native.IoVec { Base = first, Length = (nuint)buffer.Length };
            iov[1] = new Native.IoVec { Base = second, Length = (nuint)_ahead.Length };
            var msgs = stackalloc Native.MMsgHdr[2];
            msgs[0] = new Native.MMsgHdr { Iov = &iov[0], IovLength = 1 };
            msgs[1] = new Native.MMsgHdr { Iov = &iov[1], IovLength = 1 };
            while (true)
            {
                int got = Native.recvmmsg(Fd, msgs, 2, Native.MSG_TRUNC | Native.MSG_DONTWAIT, null);
                if (got > 0)
                {
                    // A second datagram too long for the look-ahead is reported when it is handed out, not with the first.
                    if (got > 1)
                        _aheadLength = (int)Math.Min(msgs[1].Length, int.MaxValue);
                    Fits(msgs[0].Length, buffer.Length);
                    return (int)msgs[0].Length;
                }
                int errno = Native.LastErrno;
                if (got < 0 && errno == Errno.EINTR)
                    continue;
                if (got == 0 || errno == Errno.EAGAIN)
                    return -1;
                throw new NetlinkException("recvmmsg", errno);
            }
        }
    }

    /// <summary>One datagram into <paramref name="buffer"/>; -1 when none is queued.</summary>
    private int ReceiveOne(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Native.recv(Fd, p, buffer.Length, Native.MSG_TRUNC | Native.MSG_DONTWAIT);
                if (n >= 0)
                {
                    Fits((uint)n, buffer.Length);
                    return (int)n;
                }
                int errno = Native.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                if (errno != Errno.EAGAIN)
                    throw new NetlinkException("recvmsg", errno);
                return -1;
            }
        }
    }

    /// <summary>The datagram received ahead, copied into <paramref name="buffer"/>.</summary>
    private int TakeAhead(Span<byte> buffer)
    {
        int n = _aheadLength;
        _aheadLength = -1;
        Fits((uint)n, _ahead!.Length);
        Fits((uint)n, buffer.Length);
        _ahead.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    /// <summary>MSG_TRUNC makes the kernel report a datagram's whole length: longer than the buffer means bytes were lost.</summary>
    private static void Fits(uint length, int buffer)
    {
        if (length > buffer)
            throw new NetlinkProtocolException($"datagram of {length} bytes truncated to {buffer}");
    }

    /// <summary>Waits until a datagram is queued (true) or the deadline passes (false).</summary>
    private bool Wait(long deadline)
    {
        var pfd = new Native.PollFd { Fd = Fd, Events = Native.POLLIN };
        while (true)
        {
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            int r = Native.poll(&pfd, 1, left);
            if (r > 0)
                return true;
            if (r == 0)
                return false;
            int errno = Native.LastErrno;
            if (errno != Errno.EINTR)
                throw new NetlinkException("poll", errno);
        }
    }

    private int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(NetlinkSocket));

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Native.close(fd);
    }
}
