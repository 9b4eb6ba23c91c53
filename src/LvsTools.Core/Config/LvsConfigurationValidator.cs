using System.Globalization;
using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Core.Config;

/// <summary>
/// Checks a whole configuration document before anything is sent, naming every error by its JSON path
/// ("$.services[3].realServers[1].port") in the message and as the error's target. What a document can contradict
/// itself with is checked here (duplicates that are equal once parsed, options that do not fit the scheduler or the
/// kind of service or real server, unknown names, numbers out of range); the values themselves go through the same
/// operation checks the cmdlets use (<see cref="IpvsOperation.Validate"/>, at the level planned document operations
/// carry: <see cref="ValidationLevel.Kernel"/>, so that whatever a kernel held can be restored).
/// </summary>
public static class LvsConfigurationValidator
{
    /// <summary>How many errors one message lists at most (the first one gives the error id).</summary>
    public const int MaxReported = 20;

    /// <summary>The level document operations are checked at (a table written by any tool must import losslessly).</summary>
    public const ValidationLevel DocumentLevel = ValidationLevel.Kernel;

    /// <summary>Every error in the document, in document order (at most <see cref="MaxReported"/> + 1).</summary>
    public static List<LvsException> Check(LvsConfigurationDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var c = new Collector();
        if (doc.SchemaVersion != LvsConfigurationDocument.CurrentSchemaVersion)
            c.Add("UnsupportedConfigurationVersion", "$.schemaVersion",
                $"this LvsTools reads version {LvsConfigurationDocument.CurrentSchemaVersion}", doc.SchemaVersion);
        if (doc.Timeouts is { } t)
            CheckTimeouts(c, t);
        if (doc.SyncDaemons is { } daemons)
            CheckDaemons(c, daemons);
        if (doc.Services is { } services)
            CheckServices(c, services);
        if (doc.VirtualIps is { } vips)
            CheckVirtualIps(c, vips);
        if (doc.Sysctls is { } sysctls)
            CheckSysctls(c, sysctls);
        return c.Errors;
    }

    /// <summary>Throws the first error (its id is the error's id), the message listing every error found, one per line.</summary>
    /// <exception cref="LvsException">InvalidArgument.</exception>
    public static void Validate(LvsConfigurationDocument doc)
    {
        var errors = Check(doc);
        if (errors.Count == 0)
            return;
        var first = errors[0];
        if (errors.Count == 1)
            throw first;
        string more = errors.Count > MaxReported ? $"{Environment.NewLine}(and more; only the first {MaxReported} are listed)" : "";
        throw new LvsException(first.Kind, first.ErrorId,
            $"The configuration document has {(errors.Count > MaxReported ? $"more than {MaxReported}" : errors.Count.ToString(CultureInfo.InvariantCulture))} errors; nothing was changed:"
            + string.Concat(errors.Take(MaxReported).Select(e => Environment.NewLine + e.Message)) + more,
            first.Target, first);
    }

    /// <summary>A value for a message: quoted, and cut to 64 characters (a 5,000-character value is not echoed whole).</summary>
    public static string Show(object? value)
    {
        // One way of showing a value for the whole module (LvsException.Shown: clipped, control characters escaped).
        return value switch
        {
            null => "null",
            string s => "'" + LvsException.Shown(s) + "'",
            IFormattable f => LvsException.Shown(f.ToString(null, CultureInfo.InvariantCulture)),
            _ => LvsException.Shown(value.ToString() ?? ""),
        };
    }

    private sealed class Collector
    {
        public readonly List<LvsException> Errors = [];

        public bool Full => Errors.Count > MaxReported;

        public void Add(string id, string path, string why, object? value) =>
            Errors.Add(LvsException.Invalid(id, $"{path}: {Show(value)} {why}.", path));

        /// <summary>Runs a check that throws LvsException; records it under <paramref name="path"/> (or a path per id).</summary>
        public bool Try(string path, Action check, Func<string, string>? pathById = null)
        {
            try
            {
                check();
                return true;
            }
            catch (LvsException e) when (e.Kind == LvsErrorKind.InvalidArgument)
            {
                string at = pathById?.Invoke(e.ErrorId) ?? path;
                Errors.Add(new LvsException(e.Kind, e.ErrorId, $"{at}: {Cut(e.Message)}", at, e));
                return false;
            }
        }

        private static string Cut(string message) => message.Length <= 400 ? message : message[..400] + "…";
    }

    private static void CheckTimeouts(Collector c, LvsTimeoutsEntry t)
    {
        foreach (var (name, seconds) in new[] { ("tcp", t.Tcp), ("tcpFin", t.TcpFin), ("udp", t.Udp) })
        {
            var value = new LvsTimeouts
            {
                Tcp = TimeSpan.FromSeconds(name == "tcp" ? seconds : 0),
                TcpFin = TimeSpan.FromSeconds(name == "tcpFin" ? seconds : 0),
                Udp = TimeSpan.FromSeconds(name == "udp" ? seconds : 0),
            };
            c.Try($"$.timeouts.{name}", () => Op(IpvsOperation.SetTimeouts(value)));
        }
    }

    private static void CheckDaemons(Collector c, List<LvsSyncDaemonEntry> daemons)
    {
        var seen = new Dictionary<SyncDaemonState, int>();
        for (int i = 0; i < daemons.Count && !c.Full; i++)
        {
            string p = $"$.syncDaemons[{i}]";
            var d = daemons[i];
            if (d is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a sync daemon", null);
                continue;
            }
            bool ok = true;
            if (d.SyncMaxLength is { } l && l is < 1 or > 65507)
                ok = Fail(c, "InvalidSyncDaemon", p + ".syncMaxLength", "is out of range: 1 to 65507", l);
            if (d.MulticastPort is { } port && port is < 1 or > ushort.MaxValue)
                ok = Fail(c, "InvalidSyncDaemon", p + ".multicastPort", "is out of range: 1 to 65535", port);
            if (d.MulticastTtl is { } ttl && ttl is < 1 or > 255)
                ok = Fail(c, "InvalidSyncDaemon", p + ".multicastTtl", "is out of range: 1 to 255", ttl);
            if (d.MulticastGroup is { } g)
                ok &= c.Try(p + ".multicastGroup", () => IPNetworkMath.ParseAddress(g));
            if (d.State is null)
                ok = Fail(c, "InvalidSyncDaemonState", p + ".state", "is not master or backup", null);
            if (d.MulticastInterface is null)
                ok = Fail(c, "InvalidSyncDaemon", p + ".multicastInterface", "is not an interface name", null);
            if (!ok)
                continue;
            LvsSyncDaemon? daemon = null;
            if (!c.Try(p, () => daemon = d.ToSyncDaemon(), id => id == "InvalidSyncDaemonState" ? p + ".state" : p))
                continue;
            c.Try(p, () => Op(IpvsOperation.StartSyncDaemon(daemon!)), _ => p);
            if (seen.TryGetValue(daemon!.State, out int first))
                c.Add("DuplicateSyncDaemon", p + ".state", $"is listed twice (also $.syncDaemons[{first}]); one daemon per state", d.State);
            else
                seen[daemon.State] = i;
        }
    }

    private static void CheckServices(Collector c, List<LvsServiceEntry> services)
    {
        var seen = new Dictionary<ServiceKey, int>();
        for (int i = 0; i < services.Count && !c.Full; i++)
        {
            string p = $"$.services[{i}]";
            var entry = services[i];
            if (entry is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a service", null);
                continue;
            }
            if (CheckService(c, p, entry) is not { } service)
                continue;
            var key = service.Key;
            if (seen.TryGetValue(key, out int first))
                c.Add("DuplicateService", p, $"is service {key}, already listed as $.services[{first}]", key.ToString());
            else
                seen[key] = i;
            if (entry.RealServers is { } reals)
                CheckRealServers(c, p, key, reals);
        }
    }

    private static LvsService? CheckService(Collector c, string p, LvsServiceEntry e)
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
            else if (c.Try(p + ".address", () => IPNetworkMath.ParseAddress(e.Address)) && family is { } f
                     && IpvsNetlink.FamilyOf(IPNetworkMath.ParseAddress(e.Address)) != f)
                Fail(c, "InvalidAddressFamily", p + ".family", $"does not match address {e.Address}", e.Family);
            if ((e.Protocol ?? "").ToLowerInvariant() is not ("tcp" or "udp" or "sctp"))
                Fail(c, "InvalidProtocol", p + ".protocol", "is not a protocol: tcp, udp or sctp", e.Protocol);
            if (e.Port is < 0 or > ushort.MaxValue)
                Fail(c, "InvalidPort", p + ".port", "is out of range: 0 to 65535", e.Port);
        }
        // A scheduler or engine the kernel has no module for would be refused half-way through the apply (ENOENT): the
        // names are those of the mainline kernel, which is all any kernel can hold.
        c.Try(p + ".scheduler", () => IpvsValidation.Scheduler(e.Scheduler, ValidationLevel.Create));
        c.Try(p + ".persistenceEngine", () => IpvsValidation.PersistenceEngine(e.PersistenceEngine, ValidationLevel.Create));
        for (int k = 0; k < (e.SchedulerFlags?.Count ?? 0); k++)
        {
            string name = e.SchedulerFlags![k];
            string fp = $"{p}.schedulerFlags[{k}]";
            if (name is null || !c.Try(fp, () => IpvsadmSyntax.ParseSchedulerFlags([name])))
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
        LvsService? svc = null;
        if (!c.Try(p, () => svc = e.ToService(), id => p + ServiceField(id)))
            return null;
        c.Try(p, () => Op(IpvsOperation.AddService(svc!)), id => p + ServiceField(id));
        return svc;
    }

    private static void CheckNetmask(Collector c, string path, IPFamily family, string text) =>
        c.Try(path, () => IpvsadmSyntax.ParseNetmask(family, text, DocumentLevel));

    private static void CheckRealServers(Collector c, string sp, ServiceKey key, List<LvsRealServerEntry> reals)
    {
        var seen = new Dictionary<(IPAddress, ushort), int>();
        for (int j = 0; j < reals.Count && !c.Full; j++)
        {
            string p = $"{sp}.realServers[{j}]";
            var e = reals[j];
            if (e is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a real server", null);
                continue;
            }
            int before = c.Errors.Count;
            if (e.Address is null)
                Fail(c, "InvalidRealServerAddress", p + ".address", "is missing", null);
            else
                c.Try(p + ".address", () => IPNetworkMath.ParseAddress(e.Address));
            if (e.Port is < 0 or > ushort.MaxValue)
                Fail(c, "InvalidPort", p + ".port", "is out of range: 0 to 65535", e.Port);
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
            LvsRealServer? rs = null;
            if (!c.Try(p, () => rs = e.ToRealServer(key), id => p + RealServerField(id)))
                continue;
            if (!c.Try(p, () => Op(IpvsOperation.AddRealServer(rs!)), id => p + RealServerField(id)))
                continue;
            if (seen.TryGetValue((rs!.Address, rs.Port), out int first))
                c.Add("DuplicateRealServer", p, $"is real server {rs.Endpoint} of {key}, already listed as {sp}.realServers[{first}]", $"{e.Address} port {e.Port}");
            else
                seen[(rs.Address, rs.Port)] = j;
        }
    }

    private static bool IsNumber(string s) => s.Trim().All(ch => char.IsAsciiDigit(ch) || ch is '-' or '+');

    /// <summary>A forwarding method by name (not by number: Enum.TryParse would take "3").</summary>
    private static ForwardingMethod? ParseForwarding(string? name) =>
        name is not null && !IsNumber(name) && Enum.TryParse<ForwardingMethod>(name, true, out var m) && Enum.IsDefined(m) ? m : null;

    private static void CheckVirtualIps(Collector c, List<LvsVirtualIpEntry> vips)
    {
        var seen = new Dictionary<(string, IPAddress), int>();
        for (int i = 0; i < vips.Count && !c.Full; i++)
        {
            string p = $"$.virtualIps[{i}]";
            var v = vips[i];
            if (v is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a virtual IP", null);
                continue;
            }
            if (v.InterfaceName is null || !RouteClient.IsValidInterfaceName(v.InterfaceName))
                Fail(c, "InvalidInterfaceName", p + ".interfaceName", "is not an interface name (1 to 15 characters, no '/', ':' or white space)", v.InterfaceName);
            if (v.Address is null)
            {
                Fail(c, "InvalidIPAddress", p + ".address", "is missing", null);
                continue;
            }
            IPAddress address = IPAddress.None;
            if (!c.Try(p + ".address", () => address = VirtualIpPlanner.ParseAddress(new VirtualIpSpec { InterfaceName = v.InterfaceName ?? "", Address = v.Address }).Address))
                continue;
            if (v.Label is { } label && v.InterfaceName is not null)
                c.Try(p + ".label", () => VirtualIpPlanner.ValidateLabel(label, v.InterfaceName, address));
            if (v.Broadcast is { } b)
                c.Try(p + ".broadcast", () => IPNetworkMath.ParseAddress(b));
            var k = (v.InterfaceName ?? "", address);
            if (seen.TryGetValue(k, out int first))
                c.Add("DuplicateVirtualIp", p, $"is address {address} on {v.InterfaceName}, already listed as $.virtualIps[{first}]", v.Address);
            else
                seen[k] = i;
        }
    }

    private static void CheckSysctls(Collector c, List<LvsSysctlEntry> sysctls)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < sysctls.Count && !c.Full; i++)
        {
            string p = $"$.sysctls[{i}]";
            var s = sysctls[i];
            if (s is null)
            {
                c.Add("InvalidConfigurationDocument", p, "is not a sysctl", null);
                continue;
            }
            if (s.Value is null)
                Fail(c, "InvalidSysctlValue", p + ".value", "is missing", null);
            SysctlName? name = null;
            if (s.Name is null)
            {
                Fail(c, "InvalidSysctlName", p + ".name", "is missing", null);
                continue;
            }
            if (!c.Try(p + ".name", () => name = SysctlName.Parse(s.Name)))
                continue;
            if (seen.TryGetValue(name!.Dotted, out int first))
                c.Add("DuplicateSysctl", p + ".name", $"is {name.Dotted}, already listed as $.sysctls[{first}]", s.Name);
            else
                seen[name.Dotted] = i;
        }
    }

    private static void Op(IpvsOperation op) => (op with { Validation = DocumentLevel }).Validate();

    private static bool Fail(Collector c, string id, string path, string why, object? value)
    {
        c.Add(id, path, why, value);
        return false;
    }

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
