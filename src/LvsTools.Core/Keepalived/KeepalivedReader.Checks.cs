using System.Text;

namespace LvsTools.Core.Keepalived;

/// <summary>
/// keepalived's checkers as a document's health check: TCP_CHECK tcp, HTTP_GET http, SSL_GET https (keepalived does not
/// verify the certificate: skipCertificateCheck), DNS_CHECK dns, MISC_CHECK command. keepalived's timing in LvsTools words:
/// delay_loop the interval, connect_timeout (MISC_CHECK: misc_timeout) the timeout, retry + 1 the fall; one good check brings
/// a server back, so rise is 1.
/// </summary>
internal sealed partial class KeepalivedReader
{
    private static readonly HashSet<string> CheckerTypes =
        ["HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "DNS_CHECK", "MISC_CHECK", "BFD_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK"];

    /// <summary>keepalived's default delay_loop and connect_timeout.</summary>
    private const double DefaultDelayLoop = 60, DefaultConnectTimeout = 5;

    private LvsHealthCheckEntry? Check(List<KeepalivedNode> checkers, KeepalivedCheckDefaults d, LvsRealServerEntry rs, string where)
    {
        LvsHealthCheckEntry? result = null;
        foreach (var c in checkers)
        {
            if (c.Keyword is "SMTP_CHECK" or "BFD_CHECK" or "UDP_CHECK" or "PING_CHECK" or "FILE_CHECK")
                Drop(c, where, "is a checker LvsTools does not have; the server is not checked by it");
            else if (result is not null)
                Drop(c, where, "is a second checker; LvsTools has one check a real server (the first is used)");
            else
                result = Checker(c, d, rs, where);
        }
        return result;
    }

    private LvsHealthCheckEntry Checker(KeepalivedNode c, KeepalivedCheckDefaults d, LvsRealServerEntry rs, string where)
    {
        var e = new LvsHealthCheckEntry();
        bool web = c.Keyword is "HTTP_GET" or "SSL_GET", dns = c.Keyword == "DNS_CHECK", misc = c.Keyword == "MISC_CHECK";
        double? miscTimeout = null;
        string? miscPath = null;
        var urls = new List<KeepalivedNode>();
        string at = $"{where}, {c.Keyword}";
        foreach (var n in c.Block ?? [])
        {
            if (CheckDefault(n, d) is { } x)
            {
                d = x;
                continue;
            }
            switch (n.Keyword)
            {
                case "connect_port" when !misc: e.Port = (int)Number(n, 0, 1, 65535); break;
                case "url" when web: urls.Add(n); break;
                case "enable_sni" when c.Keyword == "SSL_GET": break;
                case "type" when dns: e.QueryType = Arg(n, 0).ToUpperInvariant(); break;
                case "name" when dns: e.Query = Arg(n, 0); break;
                case "misc_path" when misc: miscPath = Arg(n, 0); break;
                case "misc_timeout" when misc: miscTimeout = Number(n, 0, 1, (long)LvsHealthCheckEntry.MaxSeconds); break;
                case "misc_dynamic" or "user" when misc: Drop(n, at, "has no LvsTools equivalent and is left out"); break;
                case "http_protocol" or "fast_recovery" when web: Drop(n, at, "is left out"); break;
                case "connect_ip" or "bindto" or "bind_if" or "bind_port" or "fwmark" or "alpha" or "warmup" or "log_all_failures":
                    Drop(n, at, "has no LvsTools equivalent and is left out");
                    break;
                default: throw Unknown(n, c.Keyword);
            }
        }
        int retry = d.Retry ?? (misc ? 0 : dns ? 3 : 1);
        double interval = d.DelayLoop ?? DefaultDelayLoop;
        double timeout = misc ? miscTimeout ?? interval : d.ConnectTimeout ?? DefaultConnectTimeout;
        if (web)
            Url(c, urls, e, d.VirtualHost, at);
        if (c.Keyword == "SSL_GET")
        {
            e.Type = "https";
            e.SkipCertificateCheck = true;
        }
        else if (c.Keyword == "HTTP_GET") e.Type = "http";
        else if (dns)
        {
            e.Type = "dns";
            e.QueryType ??= "SOA";
            e.Query ??= ".";
        }
        else if (misc) e.Type = "command";
        else e.Type = "tcp";
        if (misc)
            e.Command = Command(c, miscPath, rs);
        if (d.DelayBeforeRetry is { } dbr && dbr != interval)
            Note($"{c.Where}: {at}: delay_before_retry {dbr} differs from delay_loop {interval}; LvsTools probes every interval, also after a failure.");
        if (timeout > interval)
        {
            Note($"{c.Where}: {at}: the timeout {timeout} s is longer than delay_loop {interval} s; LvsTools's interval is raised to the timeout.");
            interval = timeout;
        }
        e.Timeout = timeout;
        e.Interval = interval;
        e.Fall = retry + 1;
        e.Rise = 1;
        return e;
    }

    private void Url(KeepalivedNode c, List<KeepalivedNode> urls, LvsHealthCheckEntry e, string? host, string at)
    {
        if (urls.Count == 0)
            throw Bad(c, "an HTTP_GET or SSL_GET needs a url block");
        if (urls.Count > 1)
            Drop(urls[1], at, "is a second url; LvsTools's http check asks for one path (the first is used)");
        e.Host = host;
        e.Path = "/";
        e.ExpectStatus = Enumerable.Range(200, 100).ToList();
        foreach (var n in urls[0].Block ?? [])
        {
            switch (n.Keyword)
            {
                case "path": e.Path = Arg(n, 0); break;
                case "status_code": e.ExpectStatus = StatusCodes(n); break;
                case "virtualhost": e.Host = Arg(n, 0); break;
                case "regex": e.ExpectBody = Arg(n, 0); break;
                case "digest" or "regex_no_match" or "regex_options" or "regex_stack" or "regex_min_offset" or "regex_max_offset":
                    Drop(n, at, "has no LvsTools equivalent and is left out");
                    break;
                default: throw Unknown(n, "url");
            }
        }
    }

    /// <summary>`status_code 200 301-302 ...`: the codes, ranges spelt out.</summary>
    private static List<int> StatusCodes(KeepalivedNode n)
    {
        var codes = new List<int>();
        foreach (var word in n.Args)
        {
            var parts = word.Split('-');
            var one = new KeepalivedNode(n.Keyword, parts, null, n.File, n.Line);
            int from = (int)Number(one, 0, 100, 599), to = parts.Length == 2 ? (int)Number(one, 1, from, 599) : from;
            if (parts.Length > 2) throw Bad(n, $"'{word}' is not a status code or range");
            codes.AddRange(Enumerable.Range(from, to - from + 1));
        }
        return codes.Count > 0 ? codes.Distinct().ToList() : throw Bad(n, "no status code is given");
    }

    /// <summary>misc_path's program and arguments (split at unquoted blanks, '…' kept whole). LvsTools appends the address
    /// and port itself: when the path ends with them, they go; else the difference is noted.</summary>
    private List<string> Command(KeepalivedNode c, string? path, LvsRealServerEntry rs)
    {
        if (path is null)
            throw Bad(c, "a MISC_CHECK needs misc_path");
        var words = new List<string>();
        var w = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char ch in path)
        {
            if (ch == '\'') { quoted = !quoted; any = true; }
            else if (char.IsWhiteSpace(ch) && !quoted)
            {
                if (any) words.Add(w.ToString());
                w.Clear();
                any = false;
            }
            else { w.Append(ch); any = true; }
        }
        if (any) words.Add(w.ToString());
        if (words.Count == 0)
            throw Bad(c, "misc_path is empty");
        if (words.Count >= 3 && words[^2] == rs.Address && words[^1] == rs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            return words[..^2];
        Note($"{c.Where}: MISC_CHECK of real_server {rs.Address} {rs.Port}: misc_path does not end with the server's address and port, " +
             "which LvsTools appends to the command's arguments.");
        return words;
    }
}
