using System.Net;
using LvsTools.Core.Netlink;
using LvsTools.Core.Route;

namespace LvsTools.Core.Ipvs;

// Real servers: weight, thresholds, address, forwarding and tunnel options, and what may change on an existing one.
public static partial class IpvsValidation
{
    /// <summary>
    /// A weight. Create: 0 to 65535, the range ipvsadm(8) documents (a weight above it is a typo in every real
    /// configuration, and schedulers multiply weights). Kernel: 0 to 2147483647 (the kernel keeps an int and answers a
    /// negative one with ERANGE; keepalived and raw clients write more than 65535).
    /// </summary>
    /// <exception cref="LvsException">InvalidWeight.</exception>
    public static int Weight(long weight, ValidationLevel level = ValidationLevel.Create)
    {
        long max = level == ValidationLevel.Create ? MaxWeight : int.MaxValue;
        if (weight < 0 || weight > max)
            throw LvsException.Invalid("InvalidWeight", $"Weight {weight} is out of range: 0 to {max}.", weight);
        return (int)weight;
    }

    /// <summary>
    /// Connection thresholds. Both levels: the lower one not above the upper one (the kernel answers ERANGE, even when
    /// the upper one is 0 = unlimited). Create: the upper one at most 2147483647 (the kernel compares it with an int
    /// connection count, so a larger one never limits). Kernel: any u32 (the kernel stores and reports it).
    /// </summary>
    /// <exception cref="LvsException">InvalidThreshold.</exception>
    public static void Thresholds(uint upper, uint lower, ValidationLevel level = ValidationLevel.Create)
    {
        if (level == ValidationLevel.Create && upper > int.MaxValue)
            throw LvsException.Invalid("InvalidThreshold", $"Upper threshold {upper} is out of range: 0 to {int.MaxValue}.", upper);
        if (lower > upper)
            throw LvsException.Invalid("InvalidThreshold",
                $"Lower threshold {lower} is above the upper threshold {upper}" + (upper == 0 ? " (0 = none: set an upper threshold first)." : "."), lower);
    }

    /// <summary>
    /// Why the kernel refuses <paramref name="address"/> as a real server (ip_vs_new_dest: EINVAL unless inet_addr_type
    /// is unicast or local, or ipv6_addr_type unicast), or null. Measured in the UML kernel: 0.0.0.0, 255.255.255.255,
    /// 224.0.0.0/4, ::, ff00::/8 and ::ffff:a.b.c.d are refused; 240.0.0.0/4, 0.0.0.1 and 127.0.0.1 are accepted. (A
    /// subnet's directed broadcast and a non-local IPv6 link-local address are refused too; that depends on the
    /// namespace's addresses, and the kernel's EINVAL says it.)
    /// </summary>
    private static string? KernelRefusedRealServer(IPAddress address)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return "the unspecified address";
        if (address.Equals(IPAddress.Broadcast))
            return "the limited broadcast address";
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? address.GetAddressBytes()[0] is >= 224 and <= 239 : address.IsIPv6Multicast)
            return "a multicast address";
        if (address.IsIPv4MappedToIPv6)
            return $"an IPv4-mapped IPv6 address (use {address.MapToIPv4()} itself)";
        return null;
    }

    /// <summary>
    /// Checks a real server for NEW_DEST / SET_DEST.
    /// Both levels (the kernel refuses it, measured in the UML kernel): the service key; a forwarding method the kernel
    /// knows (Masquerade, Local, Tunnel, Route, Bypass); a weight 0 to 2147483647 (ERANGE); the lower threshold not
    /// above the upper one (ERANGE); a unicast address (EINVAL); the address's family; a family other than the
    /// service's only with Tunnel (EINVAL); a GUE tunnel needs a tunnel port (EINVAL).
    /// Create only (ipvsadm's rules; the kernel accepts each): forwarding Masquerade, Route or Tunnel (what ipvsadm can
    /// set; the kernel itself reports a local address as Local); weight 0 to 65535; upper threshold up to 2147483647;
    /// no reserved 240.0.0.0/4 address; tunnel options only with Tunnel, a tunnel port only for GUE, no checksum option
    /// for ipip, remote checksum only for GUE; port 0 only for fwmark services (or services on port 0); and with Route
    /// or Tunnel the service's port (ipvsadm forces it: packets reach the real server unchanged).
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void RealServer(LvsRealServer server, ValidationLevel level = ValidationLevel.Create)
    {
        ArgumentNullException.ThrowIfNull(server);
        bool create = level == ValidationLevel.Create;
        Key(server.Service);
        if (create ? server.ForwardingMethod is not (ForwardingMethod.Masquerade or ForwardingMethod.Route or ForwardingMethod.Tunnel)
                   : !Enum.IsDefined(server.ForwardingMethod))
            throw LvsException.Invalid("InvalidForwardingMethod",
                $"Forwarding method {server.ForwardingMethod} cannot be set: use Masquerade, Route or Tunnel.", server.ForwardingMethod);
        Weight(server.Weight, level);
        Thresholds(server.UpperThreshold, server.LowerThreshold, level);
        if (KernelRefusedRealServer(server.Address) is { } why)
            throw LvsException.Invalid("InvalidRealServerAddress",
                $"Real server {server.Address} is {why}, not a unicast address (the kernel answers EINVAL).", server.Address);
        if (create && server.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && server.Address.GetAddressBytes()[0] >= 240)
            throw LvsException.Invalid("InvalidRealServerAddress",
                $"Real server {server.Address} is a reserved address (240.0.0.0/4), not a unicast address a real server can have.", server.Address);
        if (IpvsNetlink.FamilyOf(server.Address) != server.AddressFamily)
            throw LvsException.Invalid("InvalidRealServerFamily", $"Address {server.Address} is not {server.AddressFamily}.", server.Address);
        if (server.AddressFamily != server.Service.Family && server.ForwardingMethod != ForwardingMethod.Tunnel)
            throw LvsException.Invalid("InvalidRealServerFamily",
                $"Real server {server.Address} is {server.AddressFamily} but service {server.Service} is {server.Service.Family}: " +
                "different address families are allowed only with tunnel forwarding.", server.Address);
        bool tunnel = server.ForwardingMethod == ForwardingMethod.Tunnel;
        if (tunnel && server.TunnelType is { } tt && !Enum.IsDefined(tt))
            throw LvsException.Invalid("InvalidTunnelOption", $"Tunnel type {(int)tt} is not IpIp, Gue or Gre.", tt);
        if (tunnel && server.TunnelChecksum is { } c && !Enum.IsDefined(c))
            throw LvsException.Invalid("InvalidTunnelOption", $"Tunnel checksum {(int)c} is not None, Checksum or RemoteChecksum.", c);
        if (tunnel && server.TunnelType == TunnelType.Gue && server.TunnelPort is null or 0)
            throw LvsException.Invalid("InvalidTunnelOption", $"A GUE tunnel needs a tunnel port (1 to 65535); {server.Endpoint} has none.", server.Endpoint);
        if (!create)
            return;
        if (!server.Service.IsFirewallMark)
        {
            if (server.Port == 0 && server.Service.Port != 0)
                throw LvsException.Invalid("InvalidPort",
                    $"Real server port 0 is only allowed for firewall-mark services and services on port 0; {server.Service} is on port {server.Service.Port}.", server.Port);
            if (server.ForwardingMethod is ForwardingMethod.Route or ForwardingMethod.Tunnel && server.Port != server.Service.Port)
                throw LvsException.Invalid("InvalidPort",
                    $"With {server.ForwardingMethod} forwarding packets reach the real server unchanged, so its port must be the service's " +
                    $"port {server.Service.Port}, not {server.Port} (ipvsadm forces it); only Masquerade can change the port.", server.Port);
        }
        if (!tunnel && (server.TunnelType is not null || server.TunnelPort is not null || server.TunnelChecksum is not null))
            throw LvsException.Invalid("InvalidTunnelOption",
                $"Tunnel type, port and checksum apply only to tunnel forwarding, not {server.ForwardingMethod}.", server.ForwardingMethod);
        if (tunnel)
        {
            var type = server.TunnelType ?? TunnelType.IpIp;
            if (type != TunnelType.Gue && server.TunnelPort is not null and not 0)
                throw LvsException.Invalid("InvalidTunnelOption", $"A tunnel port applies only to GUE, not {type}.", server.TunnelPort);
            if (type == TunnelType.IpIp && server.TunnelChecksum is not null and not TunnelChecksum.None)
                throw LvsException.Invalid("InvalidTunnelOption", "An ipip tunnel has no checksum options.", server.TunnelChecksum);
            if (type == TunnelType.Gre && server.TunnelChecksum == TunnelChecksum.RemoteChecksum)
                throw LvsException.Invalid("InvalidTunnelOption", "Remote checksum offload applies only to GUE tunnels.", server.TunnelChecksum);
        }
    }

    /// <summary>
    /// Checks an edit of an existing real server (Set-LvsRealServer): what the kernel already holds is kept, whoever wrote
    /// it, so <paramref name="changed"/> as a whole is checked at Kernel level, and only what differs from
    /// <paramref name="current"/> is held to the Create rules: a new forwarding method (with the port rules it brings), a
    /// new weight, new thresholds, new tunnel options. A foreign Route server on port 8080 of a :80 service can thus be
    /// drained (-Weight 0) and keeps its port, while -Weight 70000 or -ForwardingMethod Local are still refused.
    /// </summary>
    /// <exception cref="LvsException">With the id of the first failed check.</exception>
    public static void RealServerChange(LvsRealServer current, LvsRealServer changed)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(changed);
        RealServer(changed, ValidationLevel.Kernel);
        bool methodChanged = changed.ForwardingMethod != current.ForwardingMethod;
        bool tunnelChanged = methodChanged || changed.TunnelType != current.TunnelType || changed.TunnelPort != current.TunnelPort
            || changed.TunnelChecksum != current.TunnelChecksum;
        if (changed.Weight != current.Weight)
            Weight(changed.Weight);
        if (changed.UpperThreshold != current.UpperThreshold || changed.LowerThreshold != current.LowerThreshold)
            Thresholds(changed.UpperThreshold, changed.LowerThreshold);
        if (methodChanged || tunnelChanged)
        {
            // The Create rules of forwarding, port and tunnel options together, on the server with its other values
            // made neutral (they were checked above and may be foreign values that stay).
            RealServer(new LvsRealServer
            {
                Service = changed.Service, Address = changed.Address, Port = changed.Port, AddressFamily = changed.AddressFamily,
                ForwardingMethod = changed.ForwardingMethod, TunnelType = changed.TunnelType, TunnelPort = changed.TunnelPort,
                TunnelChecksum = changed.TunnelChecksum, Weight = Math.Min(changed.Weight, MaxWeight),
            });
        }
    }
}
