using System.Net;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

// Services and their real servers: keys, options that must fit the scheduler and the forwarding method, duplicates.
public static partial class LvsConfigurationValidator
{
    private static void CheckServices(Collector c, List<LvsServiceEntry> services, int version)
    {
        var seen = new Dictionary<ServiceKey, int>(services.Count);
        // One table of a service's real-server endpoints, emptied for each service (not one table per service).
        var endpointTable = new Dictionary<(IPAddress, ushort), int>();
        for (int i = 0; i < services.Count && !c.Full; i++)
        {
            var p = DocPath.Service(i);
            var entry = services[i];
            if (entry is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a service", null);
                continue;
            }
            ServiceKey? key = CheckService(c, p, entry)?.Key;
            Dictionary<(IPAddress, ushort), int>? endpoints = null;
            if (key is { } k)
            {
                if (seen.TryGetValue(k, out int first))
                    c.Add("DuplicateService", p, $"is service {k}, already listed as $.services[{first}]", k.ToString());
                else
                    seen[k] = i;
                if (entry.RealServers is { } reals)
                    endpoints = CheckRealServers(c, p, k, reals, endpointTable);
            }
            if (version < 2)
                ReportVersion2Members(c, p, entry);
            else
                CheckVersion2Members(c, p, entry, key, endpoints);
        }
    }

    private static LvsService? CheckService(Collector c, DocPath p, LvsServiceEntry e)
    {
        int before = c.Errors.Count;
        IPFamily? family = (e.Family ?? "ipv4").ToLowerInvariant() switch
        {
            "ipv4" or "inet" => IPFamily.IPv4,
            "ipv6" or "inet6" => IPFamily.IPv6,
            _ => null,
        };
        if (family is null)
            Fail(c, "InvalidAddressFamily", p + ".family", "is not an address family: ipv4 or ipv6", e.Family);
        IPAddress? address = null;
        if (e.FirewallMark is { } mark)
        {
            // A firewall-mark service is named by its mark alone: an address, protocol or port beside it contradicts it.
            if (mark == 0)
                Fail(c, "InvalidFirewallMark", p + ".firewallMark", "is not a firewall mark (1 to 4294967295); leave firewallMark out for an address service", mark);
            if (e.Address is not null)
                Fail(c, "ConflictingServiceKey", p + ".address", "is given beside firewallMark: a firewall-mark service has no address", e.Address);
            if (e.Protocol is not null)
                Fail(c, "ConflictingServiceKey", p + ".protocol", "is given beside firewallMark: a firewall-mark service has no protocol", e.Protocol);
            if (e.Port != 0)
                Fail(c, "ConflictingServiceKey", p + ".port", "is given beside firewallMark: a firewall-mark service has no port", e.Port);
        }
        else
        {
            if (e.Address is null)
                Fail(c, "InvalidServiceAddress", p + ".address", "is missing: a service needs an address (with protocol and port) or a firewallMark", null);
            else if (c.TryGet(p + ".address", e.Address, static a => IPNetworkMath.ParseAddress(a), out address) && family is { } f
                     && IpvsNetlink.FamilyOf(address!) != f)
                Fail(c, "InvalidAddressFamily", p + ".family", $"does not match address {e.Address}", e.Family);
            if ((e.Protocol ?? "").ToLowerInvariant() is not ("tcp" or "udp" or "sctp"))
                Fail(c, "InvalidProtocol", p + ".protocol", "is not a protocol: tcp, udp or sctp", e.Protocol);
            if (e.Port is < 0 or > ushort.MaxValue)
                Fail(c, "InvalidPort", p + ".port", "is out of range: 0 to 65535", e.Port);
        }
        // A scheduler or engine the kernel has no module for would be refused half-way through the apply (ENOENT): the
        // names are those of the mainline kernel, which is all any kernel can hold.
        c.Try(p + ".scheduler", e.Scheduler, static s => IpvsValidation.Scheduler(s, ValidationLevel.Create));
        c.Try(p + ".persistenceEngine", e.PersistenceEngine, static s => IpvsValidation.PersistenceEngine(s, ValidationLevel.Create));
        for (int k = 0; k < (e.SchedulerFlags?.Count ?? 0); k++)
        {
            string name = e.SchedulerFlags![k];
            var fp = p + $".schedulerFlags[{k}]";
            if (name is null || !c.Try(fp, name, static n => IpvsadmSyntax.ParseSchedulerFlags([n])))
            {
                if (name is null)
                    Fail(c, "InvalidSchedulerFlag", fp, "is not a scheduler flag", null);
                continue;
            }
            // sh-* names belong to sh, mh-* to mh; any other scheduler gets the raw names flag-1..3 (what an export writes).
            string n = name.Trim().ToLowerInvariant();
            if ((n.StartsWith("sh-", StringComparison.Ordinal) || n.StartsWith("mh-", StringComparison.Ordinal)) && n[..2] != e.Scheduler)
                Fail(c, "InvalidSchedulerFlag", fp, $"does not fit scheduler {Show(e.Scheduler)}: {n[..2]}-* flags are for the {n[..2]} scheduler " +
                    "(use flag-1, flag-2, flag-3 for the raw bits)", name);
        }
        if (e.Persistence is { } per)
        {
            // A document restores what a kernel held: keepalived and raw clients write timeouts beyond ipvsadm's 31 days
            // (the kernel takes any u32; the document's number is an int). The cmdlets keep ipvsadm's range for new values.
            if (per.Timeout < 0)
                Fail(c, "InvalidPersistenceTimeout", p + ".persistence.timeout",
                    $"is out of range: 0 to {int.MaxValue} seconds", per.Timeout);
            if (per.Netmask is { } nm && family is { } f)
                CheckNetmask(c, p + ".persistence.netmask", f, nm);
        }
        if (c.Errors.Count > before)
            return null;
        if (!c.TryGet(p, (e, address), static x => x.e.ToService(x.address), out var svc, ServiceField))
            return null;
        if (c.Try(p, svc!, static s => IpvsValidation.Service(s, DocumentLevel), ServiceField))
            c.Into?.Keep(e, svc!);
        return svc;
    }

    private static void CheckNetmask(Collector c, DocPath path, IPFamily family, string text) =>
        c.Try(path, (family, text), static x => IpvsadmSyntax.ParseNetmask(x.family, x.text, DocumentLevel));

    /// <summary>Checks the real servers of a service; returns the index of each valid one by endpoint, in
    /// <paramref name="seen"/> (emptied first).</summary>
    private static Dictionary<(IPAddress, ushort), int> CheckRealServers(Collector c, DocPath sp, ServiceKey key, List<LvsRealServerEntry> reals,
        Dictionary<(IPAddress, ushort), int> seen)
    {
        seen.Clear();
        for (int j = 0; j < reals.Count && !c.Full; j++)
        {
            var p = sp.RealServer(j);
            var e = reals[j];
            if (e is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a real server", null);
                continue;
            }
            int before = c.Errors.Count;
            var address = CheckEndpoint(c, p, e.Address, e.Port, "InvalidRealServerAddress", "is missing");
            var method = ParseForwarding(e.Forwarding);
            if (method is null)
                Fail(c, "InvalidForwardingMethod", p + ".forwarding", "is not a forwarding method: route, masquerade or tunnel", e.Forwarding);
            if (e.Tunnel is { } tun)
            {
                if (method is not null and not ForwardingMethod.Tunnel)
                    Fail(c, "InvalidTunnelOption", p + ".tunnel", $"is given for a {e.Forwarding} real server: tunnel options apply only to forwarding 'tunnel'", "{...}");
                if (tun.Type is null || !Enum.TryParse<TunnelType>(tun.Type, true, out var tt) || !Enum.IsDefined(tt) || IsNumber(tun.Type))
                    Fail(c, "InvalidTunnelType", p + ".tunnel.type", "is not a tunnel type: ipip, gue or gre", tun.Type);
                if (tun.Checksum is not null && (!Enum.TryParse<TunnelChecksum>(tun.Checksum, true, out var tc) || !Enum.IsDefined(tc) || IsNumber(tun.Checksum)))
                    Fail(c, "InvalidTunnelChecksum", p + ".tunnel.checksum", "is not a tunnel checksum: none, checksum or remotechecksum", tun.Checksum);
                if (tun.Port is { } tp && tp is < 0 or > ushort.MaxValue)
                    Fail(c, "InvalidTunnelOption", p + ".tunnel.port", "is out of range: 1 to 65535", tp);
            }
            if (c.Errors.Count > before)
                continue;
            if (!c.TryGet(p, (e, key, address, method), static x => x.e.ToRealServer(x.key, x.address, x.method), out var rs, RealServerField))
                continue;
            if (!c.Try(p, rs!, static r => IpvsValidation.RealServer(r, DocumentLevel), RealServerField))
                continue;
            c.Into?.Keep(e, rs!);
            if (seen.TryGetValue((rs!.Address, rs.Port), out int first))
                c.Add("DuplicateRealServer", p, $"is real server {rs.Endpoint} of {key}, already listed as {sp}.realServers[{first}]", $"{e.Address} port {e.Port}");
            else
                seen[(rs.Address, rs.Port)] = j;
        }
        return seen;
    }

    /// <summary>The address (given, an IP address) and port (0 to 65535) of a real server or a sorry server; returns the
    /// address parsed (null when it is not one).</summary>
    private static IPAddress? CheckEndpoint(Collector c, DocPath p, string? address, int port, string missingId, string missingWhy)
    {
        IPAddress? parsed = null;
        if (address is null)
            Fail(c, missingId, p + ".address", missingWhy, null);
        else
            c.TryGet(p + ".address", address, static a => IPNetworkMath.ParseAddress(a), out parsed);
        if (port is < 0 or > ushort.MaxValue)
            Fail(c, "InvalidPort", p + ".port", "is out of range: 0 to 65535", port);
        return parsed;
    }

    private static bool IsNumber(string s)
    {
        foreach (char ch in s.AsSpan().Trim())
            if (!(char.IsAsciiDigit(ch) || ch is '-' or '+'))
                return false;
        return true;
    }

    /// <summary>A forwarding method by name (not by number: Enum.TryParse would take "3").</summary>
    private static ForwardingMethod? ParseForwarding(string? name) =>
        name is not null && !IsNumber(name) && Enum.TryParse<ForwardingMethod>(name, true, out var m) && Enum.IsDefined(m) ? m : null;

    /// <summary>The member of a service a check's id is about.</summary>
    private static string ServiceField(string id) => id switch
    {
        "InvalidScheduler" => ".scheduler",
        "InvalidPersistenceEngine" => ".persistenceEngine",
        "InvalidPersistenceTimeout" => ".persistence.timeout",
        "InvalidNetmask" => ".persistence.netmask",
        "InvalidOnePacket" => ".onePacket",
        "InvalidFirewallMark" => ".firewallMark",
        "InvalidPort" => ".port",
        "InvalidProtocol" => ".protocol",
        "InvalidSchedulerFlag" => ".schedulerFlags",
        "InvalidServiceAddress" or "InvalidIPAddress" => ".address",
        _ => "",
    };

    /// <summary>The member of a real server a check's id is about.</summary>
    private static string RealServerField(string id) => id switch
    {
        "InvalidWeight" => ".weight",
        "InvalidThreshold" => ".upperThreshold",
        "InvalidPort" => ".port",
        "InvalidForwardingMethod" => ".forwarding",
        "InvalidTunnelOption" or "InvalidTunnelType" or "InvalidTunnelChecksum" => ".tunnel",
        "InvalidRealServerAddress" or "InvalidRealServerFamily" or "InvalidIPAddress" => ".address",
        _ => "",
    };
}
