using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LvsTools.Core.Config;

namespace LvsTools;

/// <summary>
/// A whole LVS configuration as a versioned JSON document: services with their real servers (thresholds, tunnel
/// options, scheduler flags, persistence engine), timeouts, sync daemons, and optionally the virtual IPs and sysctls
/// they depend on. Lossless where `ipvsadm -S` is not: export, flush, import, export gives the same text.
/// Lists are kept in a canonical order (services by key, real servers by address and port), so two exports of the
/// same state are byte-identical.
/// </summary>
public sealed class LvsConfigurationDocument
{
    /// <summary>
    /// The document format's newest version: 2 adds what the controller reads (health checks, onFailure, quorum,
    /// hysteresis, alpha, sorryServer, drainTimeout, maintenance). Readers reject versions they do not know.
    /// </summary>
    public const int CurrentSchemaVersion = 2;

    /// <summary>The oldest version still read: a version 1 document reads, imports and syncs as it always did.</summary>
    public const int MinimumSchemaVersion = 1;

    /// <summary>
    /// The version a document read from a kernel or from ipvsadm rules says (Export-LvsConfiguration, ConvertFrom-IpvsadmRule):
    /// 1, the lowest that holds it, since a kernel knows nothing of version 2's members; older LvsTools read it too.
    /// </summary>
    public const int ExportSchemaVersion = 1;

    /// <summary>Whether this LvsTools reads documents of <paramref name="version"/>.</summary>
    public static bool IsSupportedVersion(int version) => version is >= MinimumSchemaVersion and <= CurrentSchemaVersion;

    [JsonRequired]
    public int SchemaVersion { get; set; } = CurrentSchemaVersion;
    public string? Generator { get; set; }
    public LvsTimeoutsEntry? Timeouts { get; set; }
    /// <summary>Sync daemons (null: not part of the document, left alone on import and sync).</summary>
    public List<LvsSyncDaemonEntry>? SyncDaemons { get; set; }
    /// <summary>
    /// Services with their real servers (null: not part of the document, left alone on import and sync; an empty list:
    /// no services, which Sync makes true by deleting every service).
    /// </summary>
    public List<LvsServiceEntry>? Services { get; set; }
    /// <summary>Virtual IP aliases (null: not part of the document, left alone on import).</summary>
    public List<LvsVirtualIpEntry>? VirtualIps { get; set; }
    /// <summary>Kernel parameters (null: not part of the document, left alone on import).</summary>
    public List<LvsSysctlEntry>? Sysctls { get; set; }

    /// <summary>Number of real servers over all services.</summary>
    [JsonIgnore]
    public int RealServerCount => Services?.Sum(s => s.RealServers?.Count ?? 0) ?? 0;

    /// <summary>
    /// The top-level sections this document manages (present, even if empty) among services, timeouts, syncDaemons,
    /// virtualIps and sysctls. A listed service without a realServers list is named in <see cref="UnmanagedSections"/>.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> ManagedSections => Sections().Where(s => s.Managed).Select(s => s.Name).ToList();

    /// <summary>
    /// The sections Import and Sync leave alone because the document leaves them out (absent or null): top-level sections
    /// by name, and "$.services[i].realServers" for a listed service without a realServers list.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<string> UnmanagedSections => Sections().Where(s => !s.Managed).Select(s => s.Name)
        .Concat((Services ?? []).Select((s, i) => (s, i)).Where(x => x.s.RealServers is null).Select(x => $"$.services[{x.i}].realServers"))
        .ToList();

    private IEnumerable<(string Name, bool Managed)> Sections() =>
    [
        ("services", Services is not null), ("timeouts", Timeouts is not null), ("syncDaemons", SyncDaemons is not null),
        ("virtualIps", VirtualIps is not null), ("sysctls", Sysctls is not null),
    ];

    // The contract and its settings: LvsDocumentJson (generated at compile time).
    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<LvsConfigurationDocument> Contract =>
        LvsDocumentJson.Default.LvsConfigurationDocument;

    /// <summary>The document as JSON text (indented, canonical order, "\n" line ends).</summary>
    public string ToJson()
    {
        Canonicalize();
        return JsonSerializer.Serialize(this, Contract).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>
    /// Writes the text of <see cref="ToJson"/> to <paramref name="utf8"/> as UTF-8 without a byte order mark, serialised
    /// straight into the stream (a 50,000-entry export never exists as one string). Line ends are the platform's, "\n" on
    /// Linux, where the module runs.
    /// </summary>
    public void WriteJson(Stream utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        Canonicalize();
        JsonSerializer.Serialize(utf8, this, Contract);
        utf8.Write("\n"u8);
    }

    /// <summary>Reads a document; see <see cref="FromJson(byte[])"/>.</summary>
    public static LvsConfigurationDocument FromJson(string json) => FromJson(Encoding.UTF8.GetBytes(json));

    /// <summary>
    /// Reads and checks a document (UTF-8 JSON): wrong JSON, a duplicate property, an unknown property or version, a
    /// value of the wrong type and anything <see cref="LvsConfigurationValidator"/> finds is an InvalidArgument naming
    /// the JSON path ("$.services[3].realServers[1].port") and the value. More than
    /// <see cref="BoundedInput.MaxInputBytes"/> bytes is InputTooLarge.
    /// </summary>
    public static LvsConfigurationDocument FromJson(byte[] utf8)
    {
        var doc = Parse(utf8);
        LvsConfigurationValidator.Validate(doc);
        return doc;
    }

    /// <summary>
    /// As <see cref="FromJson(byte[])"/>, also returning the services and real servers the check built (what
    /// Import and Sync plan with).
    /// </summary>
    public static LvsConfigurationDocument FromJson(byte[] utf8, out LvsResolvedEntries resolved)
    {
        var doc = Parse(utf8);
        resolved = LvsConfigurationValidator.Resolve(doc);
        return doc;
    }

    /// <summary>Reads the JSON into a document: everything <see cref="FromJson(byte[])"/> checks but the validator.</summary>
    private static LvsConfigurationDocument Parse(byte[] utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        if (utf8.Length > BoundedInput.MaxInputBytes)
            throw BoundedInput.TooLarge("The configuration document", null, BoundedInput.MaxInputBytes);
        (string Path, string Name)? duplicate = null;
        try
        {
            duplicate = JsonPrepass.FindDuplicate(utf8);
        }
        catch (JsonException)
        {
            // not JSON: the deserializer below says where
        }
        if (duplicate is { } d)
            throw LvsException.Invalid("DuplicateJsonProperty",
                $"{d.Path}: property '{LvsConfigurationValidator.Show(d.Name).Trim('\'')}' is given twice in one object; a document must say each thing once.", d.Path);
        LvsConfigurationDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(utf8, Contract);
        }
        catch (JsonException e)
        {
            string path = e.Path ?? "$";
            string? value = e.Path is null ? null : JsonPrepass.ValueAt(utf8, e.Path);
            string shown = value is null ? "" : $" (value {LvsConfigurationValidator.Show(value)})";
            string why = e.Message;
            int cut = why.IndexOf(" Path: ", StringComparison.Ordinal);
            if (cut > 0 && e.LineNumber is { } line)
                why = why[..cut] + $" (line {line + 1}, byte {e.BytePositionInLine + 1})";
            throw LvsException.Invalid("InvalidConfigurationDocument",
                $"{path}{shown}: the configuration document is not valid JSON of the expected shape: {why}", path);
        }
        catch (ArgumentException e)
        {
            // System.Text.Json refuses a string with an unpaired UTF-16 surrogate before it reads any JSON.
            throw LvsException.Invalid("InvalidConfigurationDocument",
                $"The configuration document is not valid text: {e.Message} Save it as UTF-8 and read it again.", null);
        }
        if (doc is null)
            throw LvsException.Invalid("InvalidConfigurationDocument", "$: the configuration document is empty (null).", "$");
        if (!IsSupportedVersion(doc.SchemaVersion))
            throw LvsException.Invalid("UnsupportedConfigurationVersion",
                $"The document has schemaVersion {doc.SchemaVersion}; this LvsTools reads versions {MinimumSchemaVersion} to {CurrentSchemaVersion}.", doc.SchemaVersion);
        if (FirstMissingValue(doc) is { } missing)
        {
            string nullAt = "$" + missing;
            throw LvsException.Invalid("InvalidConfigurationDocument",
                $"{nullAt}: the configuration document has null here, where a value is required: give the value or leave the member out.", nullAt);
        }
        return doc;
    }

    /// <summary>
    /// The JSON path of the first null where the document's classes do not allow one: a list item (`"services": [null]`) or a
    /// non-nullable string (`"address": null`). System.Text.Json on net8.0 lets both through, and every later step assumes
    /// neither. A whole list that is null is left to the caller (it may mean "not managed").
    /// </summary>
    /// <remarks>The path is built only for a null found (from the inside out, as the walk returns): a valid document costs no
    /// string per entry.</remarks>
    private static string? FirstMissingValue(object node)
    {
        foreach (var m in Members(node.GetType()))
        {
            var value = m.Get(node);
            if (value is null)
            {
                if (m.RequiresValue)
                    return "." + m.JsonName;
                continue;
            }
            if (value is System.Collections.IList list)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is null)
                        return $".{m.JsonName}[{i}]";
                    if (list[i] is not string && FirstMissingValue(list[i]!) is { } inner)
                        return $".{m.JsonName}[{i}]{inner}";
                }
            }
            else if (m.IsEntry && FirstMissingValue(value) is { } inner)
            {
                return "." + m.JsonName + inner;
            }
        }
        return null;
    }

    /// <summary>A document member as <see cref="FirstMissingValue"/> walks it; <see cref="Get"/> is the generated contract's
    /// getter (no reflection per entry).</summary>
    private sealed record Member(Func<object, object?> Get, string JsonName, bool RequiresValue, bool IsEntry, bool IsList);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Member[]> MemberCache = new();

    /// <summary>The JSON members of a document type, looked up once per type (not once per entry of a 50,000-entry document).</summary>
    private static Member[] Members(Type type) => MemberCache.GetOrAdd(type, t =>
    {
        var nullability = new System.Reflection.NullabilityInfoContext();
        // The generated contract's getters by JSON name; a member it does not name (none today) is read by reflection.
        var getters = LvsDocumentJson.Default.GetTypeInfo(t)?.Properties.Where(j => j.Get is not null).ToDictionary(j => j.Name, j => j.Get!);
        return t.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && !p.IsDefined(typeof(JsonIgnoreAttribute), true))
            // A value type is never null: not read at all (reading it would box every number of every entry).
            .Where(p => !p.PropertyType.IsValueType)
            .Select(p => (Property: p, Name: JsonNamingPolicy.CamelCase.ConvertName(p.Name)))
            .Select(x => new Member(getters is not null && getters.TryGetValue(x.Name, out var get) ? get : x.Property.GetValue, x.Name,
                x.Property.PropertyType == typeof(string) && nullability.Create(x.Property).WriteState == System.Reflection.NullabilityState.NotNull,
                x.Property.PropertyType.IsClass && x.Property.PropertyType != typeof(string) && x.Property.PropertyType.Assembly == typeof(LvsConfigurationDocument).Assembly,
                typeof(System.Collections.IList).IsAssignableFrom(x.Property.PropertyType)))
            // Only what can hold a missing value: a required string, a list, an entry (a nullable string may be null).
            .Where(m => m.RequiresValue || m.IsEntry || m.IsList)
            .ToArray();
    });

    /// <summary>Sorts every list into its canonical order.</summary>
    public void Canonicalize()
    {
        // OrderBy computes each key once (a Sort comparison would parse addresses on every compare).
        Services = Services?.OrderBy(s => s.SortKey, StringComparer.Ordinal).ToList();
        foreach (var s in Services ?? [])
            if (s.RealServers is { Count: > 1 })
                s.RealServers = s.RealServers.OrderBy(r => r.SortKey, StringComparer.Ordinal).ToList();
        SyncDaemons?.Sort((a, b) => string.CompareOrdinal(a.State, b.State));
        VirtualIps?.Sort((a, b) => string.CompareOrdinal(a.InterfaceName + " " + a.Address, b.InterfaceName + " " + b.Address));
        Sysctls?.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
    }

    /// <summary>What an export names as its writer: "LvsTools 1.2.3".</summary>
    internal static string GeneratorName => "LvsTools " + typeof(LvsConfigurationDocument).Assembly.GetName().Version?.ToString(3);

    /// <summary>Builds a document from the live model.</summary>
    public static LvsConfigurationDocument From(IEnumerable<LvsService> services, IEnumerable<LvsRealServer> realServers,
        LvsTimeouts? timeouts, IEnumerable<LvsSyncDaemon>? daemons)
    {
        var byKey = realServers.GroupBy(r => r.Service).ToDictionary(g => g.Key, g => g.ToList());
        var doc = new LvsConfigurationDocument
        {
            SchemaVersion = ExportSchemaVersion,
            Generator = GeneratorName,
            Timeouts = timeouts is null ? null : LvsTimeoutsEntry.From(timeouts),
            SyncDaemons = daemons?.Select(LvsSyncDaemonEntry.From).ToList(),
            Services = services.Select(s => LvsServiceEntry.From(s, byKey.TryGetValue(s.Key, out var rs) ? rs : [])).ToList(),
        };
        doc.Canonicalize();
        return doc;
    }
}
