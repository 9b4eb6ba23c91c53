using System.Net;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

/// <summary>
/// `ipvsadm -S` / `ipvsadm -R` rule text to and from documents. Reading applies the lines in order (-A, -E, -D, -a,
/// -e, -d, -C), as `ipvsadm -R` would; writing gives what `ipvsadm -S -n` prints plus what it drops (thresholds,
/// tunnel options), all of which `ipvsadm -R` accepts. The text of each value is <see cref="IpvsadmSyntax"/>'s.
/// </summary>
public static class IpvsadmRules
{
    /// <summary>The rule lines for a document's services and real servers, in canonical order.</summary>
    public static IEnumerable<string> Format(LvsConfigurationDocument doc)
    {
        doc.Canonicalize();
        foreach (var entry in doc.Services ?? [])
        {
            var svc = entry.ToService();
            yield return IpvsadmSyntax.ServiceRule("-A", svc);
            foreach (var r in entry.RealServers ?? [])
                yield return IpvsadmSyntax.RealServerRule("-a", r.ToRealServer(svc.Key));
        }
    }

    /// <summary>Parses rule lines into a document (services and real servers only); see <see cref="IpvsadmRuleReader"/>.</summary>
    /// <exception cref="LvsException">InvalidIpvsadmRule naming every bad line by number and text; InputTooLarge.</exception>
    public static LvsConfigurationDocument Parse(IEnumerable<string> lines)
    {
        var reader = new IpvsadmRuleReader();
        foreach (var line in lines)
            reader.Add(line);
        return reader.ToDocument();
    }

    /// <summary>Applies one rule line (its comment and a leading "ipvsadm" word already removed).</summary>
    internal static void ApplyRule(string line, Dictionary<ServiceKey, RuleService> services) => Apply(IpvsadmRuleLine.Parse(line), services);

    /// <summary>The document the services read so far make.</summary>
    internal static LvsConfigurationDocument ToDocument(Dictionary<ServiceKey, RuleService> services) =>
        // Rules say nothing of timeouts or sync daemons: leave them out, so that applying the rules leaves them alone.
        LvsConfigurationDocument.From(services.Values.Select(s => s.Service), services.Values.SelectMany(s => s.Reals), null, null);

    internal sealed class RuleService(LvsService service)
    {
        public LvsService Service = service;
        public readonly List<LvsRealServer> Reals = [];
    }

    private static void Apply(IpvsadmRuleLine r, Dictionary<ServiceKey, RuleService> services)
    {
        if (r.Command == 'C')
        {
            services.Clear();
            return;
        }
        var key = Key(r);
        services.TryGetValue(key, out var at);
        switch (r.Command)
        {
            case 'A':
                if (at is not null) throw Bad($"service {key} is added twice");
                services.Add(key, new RuleService(Checked(BuildService(r, key))));
                break;
            case 'E':
                // ipvsadm -E sends the whole service: what the line leaves out takes ipvsadm's defaults, as with -A.
                if (at is null) throw Bad($"service {key} is edited before it is added (ipvsadm: no such service)");
                at.Service = Checked(BuildService(r, key));
                break;
            case 'D':
                if (at is null) throw Bad($"service {key} is deleted before it is added (ipvsadm: no such service)");
                services.Remove(key);
                break;
            default:
                if (at is null) throw Bad($"service {key} is not defined: no -A line for it comes before this real server");
                ApplyRealServer(r, key, at.Reals);
                break;
        }
    }

    private static void ApplyRealServer(IpvsadmRuleLine r, ServiceKey key, List<LvsRealServer> reals)
    {
        var (address, given) = Endpoint(r.Real!);
        ushort port = given ?? key.Port;
        int ri = reals.FindIndex(x => x.Address.Equals(address) && x.Port == port);
        if (r.Command == 'd')
        {
            if (ri < 0) throw Bad($"real server {r.Real} is deleted before it is added");
            reals.RemoveAt(ri);
            return;
        }
        if (r.Command == 'a' && ri >= 0) throw Bad($"real server {r.Real} is added twice");
        if (r.Command == 'e' && ri < 0) throw Bad($"real server {r.Real} is edited before it is added");
        var old = ri >= 0 ? reals[ri] : null;
        var method = r.Forward ?? old?.ForwardingMethod ?? ForwardingMethod.Route;
        if (method != ForwardingMethod.Tunnel && (r.TunType is not null || r.TunPort is not null || r.TunCsum is not null))
            throw Bad("tunnel options (--tun-type, --tun-port, --tun-*csum) apply only to tunnel forwarding (-i)");
        var rs = new LvsRealServer
        {
            Service = key,
            Address = address,
            // ipvsadm forces the service's port for direct routing and tunnelling
            Port = method is ForwardingMethod.Route or ForwardingMethod.Tunnel && !key.IsFirewallMark ? key.Port : port,
            ForwardingMethod = method,
            Weight = r.Weight ?? old?.Weight ?? 1,
            UpperThreshold = r.Upper ?? old?.UpperThreshold ?? 0,
            LowerThreshold = r.Lower ?? old?.LowerThreshold ?? 0,
            TunnelType = method == ForwardingMethod.Tunnel ? r.TunType ?? old?.TunnelType ?? TunnelType.IpIp : null,
            TunnelPort = method == ForwardingMethod.Tunnel ? r.TunPort ?? old?.TunnelPort : null,
            TunnelChecksum = method == ForwardingMethod.Tunnel ? r.TunCsum ?? old?.TunnelChecksum ?? TunnelChecksum.None : null,
        };
        Check(IpvsOperation.AddRealServer(rs));
        if (ri >= 0) reals[ri] = rs; else reals.Add(rs);
    }

    /// <summary>A rule's values go through the checks the cmdlets use, at the level of what a kernel can hold (ipvsadm -S of
    /// any table converts; what the kernel refuses does not).</summary>
    private static void Check(IpvsOperation op) => (op with { Validation = LvsConfigurationValidator.DocumentLevel }).Validate();

    private static LvsService Checked(LvsService service)
    {
        Check(IpvsOperation.AddService(service));
        return service;
    }

    private static ServiceKey Key(IpvsadmRuleLine r)
    {
        if (r.Mark is { } m)
            return ServiceKey.ForFirewallMark(m, r.Ipv6 ? IPFamily.IPv6 : IPFamily.IPv4);
        if (r.Protocol is not { } p || r.ServiceEndpoint is null)
            throw Bad("no service (-t, -u, --sctp-service or -f)");
        var (address, port) = Endpoint(r.ServiceEndpoint);
        return ServiceKey.ForAddress(p, address, port ?? throw Bad($"'{r.ServiceEndpoint}' has no port"));
    }

    private static LvsService BuildService(IpvsadmRuleLine r, ServiceKey key)
    {
        // What ipvsadm itself refuses before it asks the kernel (ipvsadm.c): a timeout beyond MAX_TIMEOUT (31 days),
        // port 0 of a non-persistent service, one-packet scheduling of a TCP or SCTP service.
        uint maxTimeout = (uint)IpvsValidation.MaxTimeout.TotalSeconds;
        if (r.Persistent && r.Timeout is { } t && (t < 1 || t > maxTimeout))
            throw Bad($"persistence timeout {t} is out of range (ipvsadm -p: 1 to {maxTimeout} seconds)");
        if (!key.IsFirewallMark && key.Port == 0 && !r.Persistent)
            throw Bad($"Port 0 of {key} needs -p: zero port specified for non-persistent service (ipvsadm)");
        if (r.OnePacket && !key.IsFirewallMark && key.Protocol != IpvsProtocol.Udp)
            throw Bad($"One-packet scheduling (-o) is only for UDP or fwmark services (ipvsadm); {key} is not");
        // ipvsadm -M takes any dotted mask, holes included: the kernel keeps it as given.
        return ServiceSettings.New(key, IpvsValidation.Scheduler(r.Scheduler ?? LvsService.DefaultScheduler), r.Flags?.Split(','),
            r.Persistent, r.Timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : null, r.Netmask, r.Pe, r.OnePacket,
            ValidationLevel.Kernel);
    }

    /// <summary>An endpoint of a rule; the address must be numeric, as `ipvsadm -S -n` writes it.</summary>
    private static (IPAddress Address, ushort? Port) Endpoint(string text)
    {
        try { return IpvsadmSyntax.ParseEndpoint(text); }
        catch (LvsException e) when (e.ErrorId == "InvalidIPAddress")
        {
            throw Bad($"{e.Message} ipvsadm -R reads numeric addresses only (rules written with ipvsadm -S -n).");
        }
    }

    private static LvsException Bad(string why) => IpvsadmRuleLine.Bad(why);
}
