using System.Net;
using System.Net.Sockets;

namespace LvsTools.Core.Health;

/// <summary>
/// Opens probe sockets inside a network namespace. A socket belongs to the namespace of the thread that created
/// it, for its whole life: it is created on a thread that has entered the namespace (<see cref="NetNamespace.Run{T}"/>),
/// and then connected, written and read from any thread. `ip netns exec NS nc -z ADDR PORT` is the command-line twin.
/// </summary>
internal static class ProbeSockets
{
    /// <summary>A TCP or UDP socket for <paramref name="address"/>'s family, created in <paramref name="netNamespace"/>.</summary>
    /// <exception cref="LvsException">NetNamespaceNotFound when the namespace was deleted or replaced since it was resolved.</exception>
    public static Socket Open(NetNamespace netNamespace, IPAddress address, ProtocolType protocol)
    {
        var type = protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream;
        return netNamespace.Run(() => new Socket(address.AddressFamily, type, protocol));
    }

    /// <summary>A TCP socket created in the namespace and connected to the endpoint; disposed when the connect fails.</summary>
    public static async Task<Socket> ConnectTcpAsync(NetNamespace netNamespace, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = Open(netNamespace, endpoint.Address, ProtocolType.Tcp);
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
}
