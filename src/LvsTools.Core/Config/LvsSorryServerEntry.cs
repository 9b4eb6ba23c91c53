using LvsTools.Core.Ipvs;

namespace LvsTools;

/// <summary>What the controller does with a real server whose health check fails (a service's <c>onFailure</c>).</summary>
public enum LvsFailureAction
{
    /// <summary>Weight 0: no new connections, established ones keep working (the default; keepalived's inhibit_on_failure).</summary>
    Inhibit,
    /// <summary>The real server is deleted from the service.</summary>
    Remove,
}

/// <summary>
/// A service's sorry server in a document (schemaVersion 2): the server that takes the traffic while the service's quorum
/// is lost. It must not be one of the service's real servers.
/// </summary>
public sealed class LvsSorryServerEntry
{
    public string Address { get; set; } = "";
    public int Port { get; set; }
    /// <summary>route (the default), masquerade or tunnel.</summary>
    public string Forwarding { get; set; } = "route";

    /// <summary>The forwarding methods a sorry server may use.</summary>
    internal static bool IsAllowedForwarding(ForwardingMethod m) => m is ForwardingMethod.Route or ForwardingMethod.Masquerade or ForwardingMethod.Tunnel;

    /// <summary>The real server the controller adds to <paramref name="service"/> while its quorum is lost (weight 1).</summary>
    /// <exception cref="LvsException">InvalidForwardingMethod, InvalidPort, InvalidIPAddress: what a real server's entry refuses.</exception>
    public LvsRealServer ToRealServer(ServiceKey service)
    {
        var rs = new LvsRealServerEntry { Address = Address, Port = Port, Forwarding = Forwarding, Weight = 1 }.ToRealServer(service);
        return IsAllowedForwarding(rs.ForwardingMethod) ? rs
            : throw LvsException.Invalid("InvalidForwardingMethod", $"Sorry server {Address}: forwarding '{Forwarding}' is not route, masquerade or tunnel.", Forwarding);
    }
}
