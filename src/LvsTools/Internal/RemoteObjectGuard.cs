using System.Management.Automation;
using System.Runtime.CompilerServices;

namespace LvsTools.Internal;

/// <summary>
/// On the object parameters of the cmdlets that act on the kernel: a deserialized LvsTools object (from
/// Invoke-Command, Receive-Job, Import-Clixml) is let through binding as its rebuilt record, marked, so that
/// <see cref="LvsCommandBase.ActIn"/> refuses it with a clear error (DeserializedObject) instead of PowerShell's "cannot
/// convert" message: a copy read elsewhere must never act here, where it did not come from.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class RemoteObjectGuardAttribute : ArgumentTransformationAttribute
{
    private static readonly ConditionalWeakTable<object, string> Origins = new();

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) => inputData switch
    {
        PSObject p when Remote.TypeOf(p) is not null => Mark(p),
        object[] items => Array.ConvertAll(items, i => i is PSObject p && Remote.TypeOf(p) is not null ? Mark(p) : i),
        _ => inputData,
    };

    private static object Mark(PSObject p)
    {
        var local = Remote.Local(p)!;
        Origins.AddOrUpdate(local, Remote.ComputerOf(p) ?? "");
        return local;
    }

    /// <summary>Whether <paramref name="value"/> was rebuilt from a deserialized copy; <paramref name="computer"/> names
    /// where it was read ("" when the copy does not say).</summary>
    public static bool IsDeserialized(object value, out string computer) => Origins.TryGetValue(value, out computer!);
}
