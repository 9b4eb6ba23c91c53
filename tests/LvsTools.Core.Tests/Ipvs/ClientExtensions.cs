using LvsTools.Core.Ipvs;
using LvsTools.Core.Netlink;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>Test conveniences over <see cref="IpvsClient"/> that the module itself does not need.</summary>
internal static class ClientExtensions
{
    /// <summary>
    /// Adds services and then real servers in batches (see <see cref="IpvsClient.Apply"/>): request i is services[i] for
    /// i &lt; services.Count, else realServers[i - services.Count]. Equivalent to: ipvsadm -R with -A and -a lines.
    /// </summary>
    public static BatchResult AddServicesAndRealServers(this IpvsClient client, IReadOnlyList<LvsService> services,
        IReadOnlyList<LvsRealServer> realServers, Action<int>? progress = null, CancellationToken cancellation = default)
    {
        var ops = new List<IpvsOperation>(services.Count + realServers.Count);
        ops.AddRange(services.Select(IpvsOperation.AddService));
        ops.AddRange(realServers.Select(IpvsOperation.AddRealServer));
        return client.Apply(ops, progress, cancellation);
    }
}
