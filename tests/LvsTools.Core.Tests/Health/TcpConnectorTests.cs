using System.Net;
using System.Net.Sockets;
using LvsTools.Core.Health;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Health;

/// <summary>
/// What the TCP checks' thread makes of a connect that poll(2) reports, and the words a failure is given (one table for
/// the TCP checks' errnos and the other probes' socket exceptions).
/// </summary>
public class TcpConnectorTests
{
    private const short POLLNVAL = 32;

    [Theory]
    [InlineData(Native.POLLOUT, 0, 0)] // accepted
    [InlineData(Native.POLLOUT | Native.POLLERR | Native.POLLHUP, Errno.ECONNREFUSED, Errno.ECONNREFUSED)] // refused, as Linux polls it
    [InlineData(Native.POLLERR | Native.POLLHUP, Errno.EHOSTUNREACH, Errno.EHOSTUNREACH)]
    [InlineData(Native.POLLOUT, Errno.ECONNRESET, Errno.ECONNRESET)] // an error pending wins over POLLOUT
    [InlineData(Native.POLLERR, 0, Errno.ENOTCONN)] // failed, no error pending: not a healthy result
    [InlineData(Native.POLLHUP, 0, Errno.ENOTCONN)]
    [InlineData(Native.POLLOUT | Native.POLLHUP, 0, Errno.ENOTCONN)]
    [InlineData(POLLNVAL, Errno.EBADF, Errno.EBADF)] // not a socket any more: SO_ERROR's own failure
    public void A_connect_is_accepted_only_on_POLLOUT_without_POLLERR_or_POLLHUP_and_without_an_error(int revents, int error, int expected) =>
        Assert.Equal(expected, TcpConnector.Outcome((short)revents, error));

    [Fact]
    public unsafe void A_refused_connect_polls_POLLERR_and_POLLHUP_and_comes_to_ECONNREFUSED()
    {
        ushort port;
        using (var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = (ushort)((IPEndPoint)closed.LocalEndPoint!).Port;
        }
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        try
        {
            s.Connect(new IPEndPoint(IPAddress.Loopback, port));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
        }
        int fd = (int)s.SafeHandle.DangerousGetHandle();
        var p = new Native.PollFd { Fd = fd, Events = Native.POLLOUT };
        Assert.Equal(1, Native.poll(&p, 1, 5000));
        Assert.Equal(Native.POLLERR | Native.POLLHUP, p.REvents & (Native.POLLERR | Native.POLLHUP));
        int error = 0, length = sizeof(int);
        Assert.Equal(0, Native.getsockopt(fd, Native.SOL_SOCKET, Native.SO_ERROR, &error, &length));
        Assert.Equal(Errno.ECONNREFUSED, TcpConnector.Outcome(p.REvents, error));
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, Errno.ECONNREFUSED, "connection refused")]
    [InlineData(SocketError.ConnectionReset, Errno.ECONNRESET, "connection reset")]
    [InlineData(SocketError.HostUnreachable, Errno.EHOSTUNREACH, "host unreachable")]
    [InlineData(SocketError.NetworkUnreachable, Errno.ENETUNREACH, "network unreachable")]
    [InlineData(SocketError.TimedOut, Errno.ETIMEDOUT, "timed out")]
    [InlineData(SocketError.AddressNotAvailable, Errno.EADDRNOTAVAIL, "address not available")]
    [InlineData(SocketError.AccessDenied, Errno.EACCES, "permission denied")]
    [InlineData(SocketError.NotConnected, Errno.ENOTCONN, "not connected")]
    public void A_failure_has_the_same_words_from_an_errno_and_from_a_socket_exception(SocketError socketError, int errno, string words)
    {
        Assert.Equal(words, HealthProber.Describe(errno));
        Assert.Equal(words, HealthProber.Failure(new HttpRequestException("failed", new SocketException((int)socketError))));
    }

    [Fact]
    public void Another_failure_keeps_its_own_text()
    {
        Assert.Equal(Errno.Describe(Errno.EMSGSIZE), HealthProber.Describe(Errno.EMSGSIZE));
        Assert.Equal("Message too long here", HealthProber.Describe(Errno.EMSGSIZE, "Message too long here"));
        Assert.Equal("Unknown socket error", HealthProber.Failure(new SocketException(-1)));
    }
}
