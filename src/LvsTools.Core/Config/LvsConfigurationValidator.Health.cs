using System.Net;
using System.Text.RegularExpressions;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

// schemaVersion 2: what the controller reads (health checks, onFailure, quorum, hysteresis, sorryServer, drainTimeout),
// and the members a version 1 document may not use.
public static partial class LvsConfigurationValidator
{
    /// <summary>The longest drain a document may ask for: 31 days, in seconds (ipvsadm's longest persistence).</summary>
    public const double MaxDrainTimeoutSeconds = 31 * 86400;

    /// <summary>A version 1 document that uses a version 2 member: each such member, named by its path.</summary>
    private static void ReportVersion2Members(Collector c, DocPath p, LvsServiceEntry e)
    {
        if (!HasVersion2Member(e))
            return; // the usual case, one test per entry
        void Member(DocPath path, object? value)
        {
            if (value is not null)
                c.Add("ConfigurationVersionTooLow", path, $"is a schemaVersion 2 member: set \"schemaVersion\": 2 to use it " +
                    $"(this document says {LvsConfigurationDocument.MinimumSchemaVersion})", Shown(value));
        }
        Member(p + ".healthCheck", e.HealthCheck);
        Member(p + ".onFailure", e.OnFailureName);
        Member(p + ".quorum", e.Quorum);
        Member(p + ".hysteresis", e.Hysteresis);
        Member(p + ".alpha", e.Alpha);
        Member(p + ".sorryServer", e.SorryServer);
        Member(p + ".drainTimeout", e.DrainTimeoutSeconds);
        for (int j = 0; j < (e.RealServers?.Count ?? 0); j++)
        {
            if (e.RealServers![j] is not { } r)
                continue;
            Member(p.RealServer(j) + ".maintenance", r.Maintenance);
            Member(p.RealServer(j) + ".healthCheck", r.HealthCheck);
        }
    }

    private static bool HasVersion2Member(LvsServiceEntry e)
    {
        if (e.HealthCheck is not null || e.OnFailureName is not null || e.Quorum is not null || e.Hysteresis is not null
            || e.Alpha is not null || e.SorryServer is not null || e.DrainTimeoutSeconds is not null)
            return true;
        foreach (var r in e.RealServers ?? [])
            if (r is not null && (r.Maintenance is not null || r.HealthCheck is not null))
                return true;
        return false;
    }

    /// <summary>The version 2 members of a service (its key and its real servers' endpoints when they are valid).</summary>
    private static void CheckVersion2Members(Collector c, DocPath p, LvsServiceEntry e, ServiceKey? key, Dictionary<(IPAddress, ushort), int>? reals)
    {
        if (e.HealthCheck is { } hc)
            CheckHealthCheck(c, p + ".healthCheck", hc);
        for (int j = 0; j < (e.RealServers?.Count ?? 0); j++)
            if (e.RealServers![j]?.HealthCheck is { } own)
                CheckHealthCheck(c, p.RealServer(j) + ".healthCheck", own);
        if (e.OnFailureName is { } of && LvsServiceEntry.ParseOnFailure(of) is null)
            c.Add("InvalidOnFailure", p + ".onFailure", "is not inhibit or remove", of);
        if (e.Quorum is < 0)
            c.Add("InvalidQuorum", p + ".quorum", "is out of range: 0 or more (the least sum of healthy weights)", e.Quorum);
        if (e.Hysteresis is { } h && h < 0)
            c.Add("InvalidHysteresis", p + ".hysteresis", "is out of range: 0 or more", h);
        else if (e.Hysteresis is { } h2 && e.Quorum is not < 0 && h2 > e.EffectiveQuorum)
            c.Add("InvalidHysteresis", p + ".hysteresis",
                $"is above the quorum ({e.EffectiveQuorum}{(e.Quorum is null ? ", the default" : "")}): the hysteresis may be at most the quorum", h2);
        if (e.DrainTimeoutSeconds is { } d && d is not (>= LvsHealthCheckEntry.MinSeconds and <= MaxDrainTimeoutSeconds))
            c.Add("InvalidDrainTimeout", p + ".drainTimeout", $"is out of range: {LvsHealthCheckEntry.MinSeconds} to {MaxDrainTimeoutSeconds} seconds (31 days)", d);
        if (e.SorryServer is { } sorry)
            CheckSorryServer(c, p, sorry, key, reals);
    }

    private static void CheckSorryServer(Collector c, DocPath sp, LvsSorryServerEntry s, ServiceKey? key, Dictionary<(IPAddress, ushort), int>? reals)
    {
        var p = sp + ".sorryServer";
        int before = c.Errors.Count;
        CheckEndpoint(c, p, s.Address, s.Port, "InvalidSorryServer", "is missing: a sorry server needs an address");
        if (ParseForwarding(s.Forwarding) is not { } m || !LvsSorryServerEntry.IsAllowedForwarding(m))
            Fail(c, "InvalidForwardingMethod", p + ".forwarding", "is not a forwarding method for a sorry server: route, masquerade or tunnel", s.Forwarding);
        if (c.Errors.Count > before || key is not { } k)
            return;
        if (!c.TryGet(p, (s, k), static x => x.s.ToRealServer(x.k), out var rs, RealServerField)
            || !c.Try(p, rs!, static r => IpvsValidation.RealServer(r, DocumentLevel), RealServerField))
            return;
        if (reals is not null && reals.TryGetValue((rs!.Address, rs.Port), out int j))
            c.Add("InvalidSorryServer", p, $"is also real server {sp}.realServers[{j}]: a sorry server must be another server", $"{s.Address} port {s.Port}");
    }

    private static void CheckHealthCheck(Collector c, DocPath p, LvsHealthCheckEntry h)
    {
        const string Id = "InvalidHealthCheck";
        var type = LvsHealthCheckEntry.ParseType(h.Type);
        if (type is null)
            c.Add(Id, p + ".type", "is not a check type: tcp, http, https, dns, command or none", h.Type);
        string kind = type is null ? "" : $"a check of type {h.Type!.ToLowerInvariant()}";
        // A member of one kind of check given to another would be silently ignored: an error, as a misspelt member is.
        void Only(string member, object? value, bool applies, string where)
        {
            if (value is not null && type is not null && !applies)
                c.Add(Id, p + "." + member, $"is given for {kind}: it applies only to {where}", Shown(value));
        }
        bool web = type is HealthCheckType.Http or HealthCheckType.Https;
        Only("path", h.Path, web, "http and https");
        Only("host", h.Host, web, "http and https");
        Only("expectStatus", h.ExpectStatus, web, "http and https");
        Only("expectBody", h.ExpectBody, web, "http and https");
        Only("skipCertificateCheck", h.SkipCertificateCheck, type == HealthCheckType.Https, "https");
        Only("query", h.Query, type == HealthCheckType.Dns, "dns");
        Only("queryType", h.QueryType, type == HealthCheckType.Dns, "dns");
        Only("command", h.Command, type == HealthCheckType.Command, "type command");

        if (h.Port is { } port && port is < 1 or > ushort.MaxValue)
            c.Add(Id, p + ".port", "is out of range: 1 to 65535", port);
        if (h.Path is { } path && (!path.StartsWith('/') || path.Any(ch => ch <= ' ' || ch == '\x7f')))
            c.Add(Id, p + ".path", "is not a request path: it starts with / and has no spaces or control characters", path);
        if (h.Host is { } host && (host.Length == 0 || host.Any(ch => ch <= ' ' || ch is '\x7f' or '/')))
            c.Add(Id, p + ".host", "is not a host name", host);
        if (h.ExpectStatus is { Count: 0 })
            c.Add(Id, p + ".expectStatus", "is empty: list the status codes taken as healthy, or leave expectStatus out (200)", "[]");
        for (int k = 0; k < (h.ExpectStatus?.Count ?? 0); k++)
            if (h.ExpectStatus![k] is < 100 or > 599)
                c.Add(Id, p + $".expectStatus[{k}]", "is not an HTTP status: 100 to 599", h.ExpectStatus[k]);
        if (h.ExpectBody is { } body && RegexError(body) is { } why)
            c.Add(Id, p + ".expectBody", $"is not a valid regular expression: {why}", body);
        if (h.QueryType is { } qt && !LvsHealthCheckEntry.QueryTypes.Contains(qt.ToUpperInvariant()))
            c.Add(Id, p + ".queryType", $"is not a record type: {string.Join(", ", LvsHealthCheckEntry.QueryTypes)}", qt);
        if (h.Query is { } q && (q.Length is 0 or > 253 || q.Any(ch => ch <= ' ' || ch == '\x7f')))
            c.Add(Id, p + ".query", "is not a DNS name (1 to 253 characters, no spaces or control characters)", q);
        if (type == HealthCheckType.Command && h.Command is not { Count: > 0 })
            c.Add(Id, p + ".command", "is missing or empty: a command check needs the program and its arguments, as an array", h.Command is null ? null : "[]");
        else if (type == HealthCheckType.Command && string.IsNullOrWhiteSpace(h.Command![0]))
            c.Add(Id, p + ".command[0]", "is not a program", h.Command[0]);

        bool timeoutOk = true;
        const double Min = LvsHealthCheckEntry.MinSeconds, Max = LvsHealthCheckEntry.MaxSeconds;
        if (h.Timeout is { } t && t is not (>= Min and <= Max))
            timeoutOk = Fail(c, Id, p + ".timeout", $"is out of range: {Min} to {Max} seconds", t);
        if (h.Interval is { } i && i is not (>= Min and <= Max))
            Fail(c, Id, p + ".interval", $"is out of range: {Min} to {Max} seconds", i);
        else if (timeoutOk)
        {
            double timeout = h.Timeout ?? HealthCheck.DefaultTimeout.TotalSeconds, interval = h.Interval ?? HealthCheck.DefaultInterval.TotalSeconds;
            if (interval < timeout)
                c.Add(Id, p + (h.Interval is null ? ".timeout" : ".interval"), h.Interval is null
                    ? $"is above the default interval ({interval} s): give an interval at least as long as the timeout"
                    : $"is below the timeout ({timeout} s{(h.Timeout is null ? ", the default" : "")}): a probe must end before the next one starts",
                    h.Interval ?? timeout);
        }
        if (h.Rise is < 1)
            c.Add(Id, p + ".rise", "is out of range: at least 1 success in a row", h.Rise);
        if (h.Fall is < 1)
            c.Add(Id, p + ".fall", "is out of range: at least 1 failure in a row", h.Fall);
    }

    /// <summary>A member's value for a message: itself when it is a scalar, "[...]" for a list, "{...}" for an object.</summary>
    private static object Shown(object value) => value switch
    {
        string or bool or IFormattable => value,
        System.Collections.IList => "[...]",
        _ => "{...}",
    };

    /// <summary>Why <paramref name="pattern"/> is not a .NET regular expression, or null when it is one.</summary>
    private static string? RegexError(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
