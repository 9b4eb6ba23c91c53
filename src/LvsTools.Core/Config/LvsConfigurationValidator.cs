using System.Globalization;
using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

/// <summary>
/// Checks a whole configuration document before anything is sent, naming every error by its JSON path
/// ("$.services[3].realServers[1].port") in the message and as the error's target. What a document can contradict
/// itself with is checked here (duplicates that are equal once parsed, options that do not fit the scheduler or the
/// kind of service or real server, unknown names, numbers out of range); the values themselves go through the same
/// operation checks the cmdlets use (<see cref="IpvsOperation.Validate"/>, at the level planned document operations
/// carry: <see cref="ValidationLevel.Kernel"/>, so that whatever a kernel held can be restored).
/// </summary>
public static partial class LvsConfigurationValidator
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
        if (!LvsConfigurationDocument.IsSupportedVersion(doc.SchemaVersion))
            c.Add("UnsupportedConfigurationVersion", "$.schemaVersion",
                $"this LvsTools reads versions {LvsConfigurationDocument.MinimumSchemaVersion} to {LvsConfigurationDocument.CurrentSchemaVersion}", doc.SchemaVersion);
        if (doc.Timeouts is { } t)
            CheckTimeouts(c, t);
        if (doc.SyncDaemons is { } daemons)
            CheckDaemons(c, daemons);
        if (doc.Services is { } services)
            CheckServices(c, services, doc.SchemaVersion);
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
            bool b => b ? "true" : "false",
            string s => "'" + LvsException.Shown(s) + "'",
            IFormattable f => LvsException.Shown(f.ToString(null, CultureInfo.InvariantCulture)),
            _ => LvsException.Shown(value.ToString() ?? ""),
        };
    }

    private sealed class Collector
    {
        public readonly List<LvsException> Errors = [];

        public bool Full => Errors.Count > MaxReported;

        public void Add(string id, DocPath path, string why, object? value)
        {
            string at = path.ToString();
            Errors.Add(LvsException.Invalid(id, $"{at}: {Show(value)} {why}.", at));
        }

        /// <summary>Runs a check that throws LvsException; records it under <paramref name="path"/> (and the member
        /// <paramref name="memberById"/> names for the error's id). The state is passed in, so a static check allocates nothing.</summary>
        public bool Try<T>(DocPath path, T state, Action<T> check, Func<string, string>? memberById = null) =>
            TryGet(path, (state, check), static x => { x.check(x.state); return true; }, out _, memberById);

        /// <summary>Runs a check that throws LvsException; records it under <paramref name="path"/> (or a path per id).</summary>
        public bool Try(DocPath path, Action check, Func<string, string>? memberById = null) =>
            TryGet(path, check, static a => { a(); return true; }, out _, memberById);

        /// <summary>As <see cref="Try{T}"/>, keeping what the check returns.</summary>
        public bool TryGet<T, TResult>(DocPath path, T state, Func<T, TResult> get, out TResult? result, Func<string, string>? memberById = null)
        {
            try
            {
                result = get(state);
                return true;
            }
            catch (LvsException e) when (e.Kind == LvsErrorKind.InvalidArgument)
            {
                string at = (memberById is null ? path : path + memberById(e.ErrorId)).ToString();
                Errors.Add(new LvsException(e.Kind, e.ErrorId, $"{at}: {Cut(e.Message)}", at, e));
                result = default;
                return false;
            }
        }

        private static string Cut(string message) => message.Length <= 400 ? message : message[..400] + "…";
    }

    /// <summary>
    /// A JSON path formatted only when an error names it: a text ("$.timeouts.tcp"), or a service
    /// ("$.services[3]") or one of its real servers ("$.services[3].realServers[1]"), then a member (".port").
    /// A valid document of 50,000 entries formats none.
    /// </summary>
    private readonly struct DocPath
    {
        private readonly string? _text;
        private readonly int _service, _realServer;
        private readonly string _member;

        private DocPath(string? text, int service, int realServer, string member) =>
            (_text, _service, _realServer, _member) = (text, service, realServer, member);

        public static implicit operator DocPath(string text) => new(text, -1, -1, "");

        public static DocPath Service(int index) => new(null, index, -1, "");

        public DocPath RealServer(int index) => new(null, _service, index, "");

        public static DocPath operator +(DocPath path, string member) =>
            new(path._text, path._service, path._realServer, path._member + member);

        public override string ToString() =>
            _text is not null ? _text + _member
            : _realServer < 0 ? $"$.services[{_service}]{_member}"
            : $"$.services[{_service}].realServers[{_realServer}]{_member}";
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
            if (!c.Try(p, () => daemon = d.ToSyncDaemon(), id => id == "InvalidSyncDaemonState" ? ".state" : ""))
                continue;
            c.Try(p, () => Op(IpvsOperation.StartSyncDaemon(daemon!)));
            if (seen.TryGetValue(daemon!.State, out int first))
                c.Add("DuplicateSyncDaemon", p + ".state", $"is listed twice (also $.syncDaemons[{first}]); one daemon per state", d.State);
            else
                seen[daemon.State] = i;
        }
    }

    private static void Op(IpvsOperation op) => (op with { Validation = DocumentLevel }).Validate();

    private static bool Fail(Collector c, string id, DocPath path, string why, object? value)
    {
        c.Add(id, path, why, value);
        return false;
    }
}
