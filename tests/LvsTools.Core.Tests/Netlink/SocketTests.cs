using LvsTools.Core.Route;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Netlink;

/// <summary>Real NETLINK_ROUTE sockets in the current namespace (link dumps are open to every user).</summary>
public class SocketTests
{
    [Fact]
    public void Several_connections_opened_at_once_dump_in_parallel()
    {
        var connections = NetNamespace.Current.Connect(NetlinkProtocol.Route, 3);
        try
        {
            var clients = connections.Select(c => new RouteClient(c)).ToArray();
            var names = clients.AsParallel().Select(r => string.Join(",", r.GetInterfaces().Select(i => i.Name).Order())).ToArray();
            Assert.Equal(3, names.Length);
            Assert.Contains("lo", names[0].Split(','));
            Assert.All(names, n => Assert.Equal(names[0], n));
        }
        finally
        {
            foreach (var c in connections)
                c.Dispose();
        }
    }

    [Fact]
    public void A_reply_and_its_ack_queued_together_are_handed_out_one_datagram_per_call_in_order()
    {
        using var socket = NetlinkSocket.Open(NetlinkProtocol.Route);
        var buffer = new byte[64 * 1024];
        for (uint seq = 1; seq <= 3; seq++)
        {
            // RTM_GETLINK of "lo" with NLM_F_ACK: the kernel queues the RTM_NEWLINK reply and the ACK before send returns,
            // so the first receive takes both (recvmmsg) and the second hands out the ACK without asking the kernel.
            var w = new NetlinkWriter();
            w.BeginMessage(RouteClient.RTM_GETLINK, NetlinkFlags.Request | NetlinkFlags.Ack).WriteBytes(new byte[16]).String(3, "lo").EndMessage();
            var request = w.WrittenSpan.ToArray();
            var h = NetlinkMessageHeader.Read(request);
            (h with { Sequence = seq }).Write(request);
            socket.Send(request);
            var reply = NetlinkMessageHeader.Read(buffer.AsSpan(0, socket.Receive(buffer, TimeSpan.FromSeconds(5))));
            Assert.Equal(RouteClient.RTM_NEWLINK, reply.Type);
            Assert.Equal(seq, reply.Sequence);
            int n = socket.Receive(buffer, TimeSpan.FromSeconds(5));
            var ack = NetlinkMessageHeader.Read(buffer.AsSpan(0, n));
            Assert.Equal(NetlinkMessageType.Error, ack.Type);
            Assert.Equal(seq, ack.Sequence);
            Assert.Equal(0, NativeEndian.I32(buffer.AsSpan(NetlinkMessageHeader.Size)));
        }
        Assert.Throws<NetlinkTimeoutException>(() => socket.Receive(buffer, TimeSpan.FromMilliseconds(50)));
    }
}
