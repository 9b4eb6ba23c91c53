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
}
