using System.Text.RegularExpressions;

namespace LvsTools.Core.Health;

/// <summary>
/// What a <see cref="HealthCheck"/> must hold before it is run, one rule per member, each failure an
/// <see cref="LvsException"/> with a stable id that names the value. The cmdlet and the document both use it.
/// </summary>
public static class HealthCheckRules
{
    /// <summary>The longest probe timeout (a day: longer is not a health check).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>How long an ExpectBody regular expression may run on one body.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Checks every member the check's type uses.</summary>
    /// <exception cref="LvsException">
    /// InvalidHealthCheckTimeout, InvalidPort, InvalidExpectStatus, InvalidExpectBody, InvalidHealthCheckPath,
    /// InvalidHealthCheckHost, InvalidDnsQuery, InvalidDnsQueryType, HealthCheckCommandMissing, HealthCheckCommandNotFound.
    /// </exception>
    public static void Validate(HealthCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        CheckTimeout(check.Timeout);
        if (check.Port == 0)
            throw LvsException.Invalid("InvalidPort", "Port 0 cannot be probed: give a port from 1 to 65535.", 0);
        switch (check.Type)
        {
            case HealthCheckType.Http or HealthCheckType.Https:
                CheckHttp(check);
                break;
            case HealthCheckType.Dns:
                DnsMessage.EncodeQuery(0, check.Query ?? ".", DnsMessage.TypeCode(check.QueryType ?? "A"));
                break;
            case HealthCheckType.Command:
                ResolveProgram(check.Command);
                break;
        }
    }

    /// <exception cref="LvsException">InvalidHealthCheckTimeout.</exception>
    public static void CheckTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero || timeout > MaxTimeout)
            throw LvsException.Invalid("InvalidHealthCheckTimeout",
                $"The health check timeout {HealthProber.Seconds(timeout)} is out of range: more than 0 s and at most {HealthProber.Seconds(MaxTimeout)}.",
                timeout);
    }

    private static void CheckHttp(HealthCheck check)
    {
        if (check.ExpectStatus.Count == 0)
            throw LvsException.Invalid("InvalidExpectStatus", "The expected status list is empty: give at least one status code (100 to 599).", "");
        foreach (int status in check.ExpectStatus)
            if (status is < 100 or > 599)
                throw LvsException.Invalid("InvalidExpectStatus", $"Status {status} is not an HTTP status code (100 to 599).", status);
        if (check.ExpectBody is { } body)
            ExpectBody(body);
        if (check.Path is { } path && (!path.StartsWith('/') || path.Any(c => char.IsControl(c) || c == ' ') || path.Contains('#')))
            throw LvsException.Invalid("InvalidHealthCheckPath",
                $"'{path}' is not a request path: it must start with '/' and hold no spaces, control characters or '#'.", path);
        if (check.Host is { } host && (host.Length == 0 || Uri.CheckHostName(HostPart(host)) == UriHostNameType.Unknown))
            throw LvsException.Invalid("InvalidHealthCheckHost",
                $"'{host}' is not a host name for the Host header (a name or an address, optionally with ':port').", host);
    }

    // "example.com:8080" → "example.com"; "[2001:db8::1]:80" → "2001:db8::1".
    private static string HostPart(string host)
    {
        if (host.StartsWith('[') && host.IndexOf(']') is > 0 and var close)
            return host[1..close];
        int colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(':') == colon && host[(colon + 1)..].All(char.IsAsciiDigit) ? host[..colon] : host;
    }

    /// <summary>The ExpectBody regular expression, parsed.</summary>
    /// <exception cref="LvsException">InvalidExpectBody.</exception>
    public static Regex ExpectBody(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException e)
        {
            throw new LvsException(LvsErrorKind.InvalidArgument, "InvalidExpectBody",
                $"The expected body '{pattern}' is not a regular expression: {e.Message}", pattern, e);
        }
    }

    /// <summary>
    /// The full path of the command's program: itself when it contains a '/', else the first executable file of that
    /// name in a PATH folder (what `command -v` prints).
    /// </summary>
    /// <exception cref="LvsException">HealthCheckCommandMissing, HealthCheckCommandNotFound.</exception>
    public static string ResolveProgram(IReadOnlyList<string>? command)
    {
        if (command is not { Count: > 0 } || string.IsNullOrWhiteSpace(command[0]))
            throw LvsException.Invalid("HealthCheckCommandMissing", "A command health check needs a program to run (and its arguments, if any).", "");
        string program = command[0];
        IEnumerable<string> candidates = program.Contains('/')
            ? [program]
            : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => System.IO.Path.Combine(dir, program));
        foreach (var file in candidates)
            if (File.Exists(file) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return System.IO.Path.GetFullPath(file);
        throw new LvsException(LvsErrorKind.NotFound, "HealthCheckCommandNotFound", program.Contains('/')
            ? $"The health check program '{program}' does not exist or is not executable."
            : $"The health check program '{program}' is not found on PATH (or is not executable).", program);
    }
}
