using System.Globalization;

namespace LvsTools;

/// <summary>How the kernel differs from a document at one place.</summary>
public enum LvsDifferenceKind
{
    /// <summary>In the document, not in the kernel (Sync would create it).</summary>
    Missing,
    /// <summary>In the kernel, not in the document (Sync would delete it).</summary>
    Extra,
    /// <summary>In both, with one setting that differs (Sync would change it).</summary>
    Different,
}

/// <summary>
/// One difference between a document and the kernel, as Compare-LvsConfiguration writes it: what kind, in which section,
/// at which key ("TCP  10.0.0.1:80 -> 10.0.1.11:8080"), for Different the setting with the document's and the kernel's
/// value, and the operation Sync-LvsConfiguration would send to remove it.
/// </summary>
public sealed class LvsConfigurationDifference
{
    public required LvsDifferenceKind Kind { get; init; }
    /// <summary>The document's section: Service, RealServer, VirtualIp, Sysctl, Timeouts, SyncDaemon.</summary>
    public required LvsPlanObject Section { get; init; }
    public required string Key { get; init; }
    /// <summary>For Different: the setting ("weight", "scheduler", "value"); null when the plan names none.</summary>
    public string? Property { get; init; }
    public object? DocumentValue { get; init; }
    public object? KernelValue { get; init; }
    /// <summary>What Sync-LvsConfiguration would send for it ("ipvsadm -e -t ... -w 3").</summary>
    public required string Operation { get; init; }
    public string? NetNamespace { get; set; }

    public override string ToString() => Kind switch
    {
        LvsDifferenceKind.Different when Property is not null =>
            $"{Kind} {Section} {Key}: {Property} {LvsPropertyDifference.Show(DocumentValue)} in the document, {LvsPropertyDifference.Show(KernelValue)} in the kernel",
        _ => $"{Kind} {Section} {Key}",
    };
}

/// <summary>
/// One setting that differs between the kernel and a document: its name, the kernel's value and the document's
/// (typed: a string, a number, a TimeSpan, an address, an enum). "weight 1 -> 3" is its text.
/// </summary>
public sealed record LvsPropertyDifference(string Property, object? KernelValue, object? DocumentValue)
{
    public override string ToString() => $"{Property} {Show(KernelValue)} -> {Show(DocumentValue)}";

    /// <summary>A value as the plan's text shows it: durations in whole seconds, numbers invariant, null empty.</summary>
    public static string Show(object? value) => value switch
    {
        null => "",
        TimeSpan t => t.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The plan's text of a list of differences ("scheduler rr -> wrr; weight 1 -> 3"), null for none.</summary>
    public static string? Join(IReadOnlyList<LvsPropertyDifference>? differences) =>
        differences is null or { Count: 0 } ? null : string.Join("; ", differences);
}
