using System.Globalization;

namespace LvsTools.Core.Keepalived;

/// <summary>
/// A document's health check as a keepalived checker: tcp TCP_CHECK, http HTTP_GET, https SSL_GET, dns DNS_CHECK, command
/// MISC_CHECK (the address and port appended to misc_path, as LvsTools appends them). Timing: the timeout is connect_timeout
/// (MISC_CHECK: misc_timeout, whole seconds), the interval delay_loop and delay_before_retry, fall - 1 the retries; keepalived
/// has no rise (one good check brings a server back).
/// </summary>
internal sealed partial class KeepalivedWriter
{
    /// <summary>The record types DNS_CHECK asks for (keepalived.conf(5)).</summary>
    private static readonly HashSet<string> DnsTypes = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"];

    private void Checker(HealthCheck check, LvsRealServer rs, string who, List<string> body)
    {
        var lines = new List<string>();
        string type;
        switch (check.Type)
        {
            case HealthCheckType.Tcp:
                type = "TCP_CHECK";
                break;
            case HealthCheckType.Http or HealthCheckType.Https:
                type = check.Type == HealthCheckType.Http ? "HTTP_GET" : "SSL_GET";
                lines.Add("url {");
                lines.Add("    path " + Quote(check.Path ?? "/"));
                lines.Add("    status_code " + StatusCodes(check.ExpectStatus));
                if (check.Host is { } host) lines.Add("    virtualhost " + Quote(host));
                if (check.ExpectBody is { } body1) lines.Add("    regex " + Quote(body1));
                lines.Add("}");
                if (check.Type == HealthCheckType.Https && check.Host is not null) lines.Add("enable_sni");
                if (check.Type == HealthCheckType.Https && !check.SkipCertificateCheck)
                    Cannot("healthCheck.skipCertificateCheck false", who, "keepalived's SSL_GET does not verify the server's certificate");
                break;
            case HealthCheckType.Dns:
                type = "DNS_CHECK";
                string qtype = (check.QueryType ?? "A").ToUpperInvariant();
                if (!DnsTypes.Contains(qtype))
                {
                    Cannot($"healthCheck.queryType {qtype}", who, $"DNS_CHECK asks only for {string.Join(", ", DnsTypes)}; no checker is written");
                    return;
                }
                lines.Add("type " + qtype);
                lines.Add("name " + Quote(check.Query ?? "."));
                break;
            case HealthCheckType.Command:
                type = "MISC_CHECK";
                var argv = (check.Command ?? []).Append(rs.Address.ToString()).Append(rs.Port.ToString(CultureInfo.InvariantCulture));
                if (argv.Any(a => a.Contains('\'')))
                {
                    Cannot("healthCheck.command", who, "an argument holds a single quote, which misc_path cannot quote; no checker is written");
                    return;
                }
                lines.Add("misc_path " + Quote(string.Join(" ", argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a))));
                lines.Add("misc_timeout " + (int)Math.Ceiling(check.Timeout.TotalSeconds));
                if (check.Timeout.TotalSeconds % 1 != 0)
                    Cannot("healthCheck.timeout", who, $"misc_timeout is whole seconds; {Seconds(check.Timeout)} s is written as {(int)Math.Ceiling(check.Timeout.TotalSeconds)}");
                break;
            default:
                return;
        }
        if (check.Port is { } port && check.Type != HealthCheckType.Command) lines.Add("connect_port " + port);
        if (check.Type != HealthCheckType.Command) lines.Add("connect_timeout " + Seconds(check.Timeout));
        lines.Add("retry " + (check.Fall - 1));
        lines.Add("delay_before_retry " + Seconds(check.Interval));
        lines.Add("delay_loop " + Seconds(check.Interval));
        if (check.Rise != 1)
            Cannot($"healthCheck.rise {check.Rise}", who, "keepalived brings a server back after one good check (rise 1)");
        body.Add($"        {type} {{");
        body.AddRange(lines.Select(l => "            " + l));
        body.Add("        }");
    }

    /// <summary>Status codes as status_code takes them: runs of three or more as a range ("200-299 301").</summary>
    private static string StatusCodes(IReadOnlyList<int> codes)
    {
        var sorted = codes.Distinct().Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            if (j - i >= 2) parts.Add($"{sorted[i]}-{sorted[j]}");
            else parts.AddRange(sorted[i..(j + 1)].Select(c => c.ToString(CultureInfo.InvariantCulture)));
            i = j + 1;
        }
        return string.Join(" ", parts);
    }
}
