using System.Management.Automation;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Which address families the kernel forwards, globally or per interface.</summary>
[Cmdlet(VerbsCommon.Get, "IpForwarding")]
[OutputType(typeof(IpForwardingSetting))]
public sealed class GetIpForwardingCommand : LvsCommandBase
{
    /// <summary>IPv4, IPv6 or Both (default).</summary>
    [Parameter(Position = 0)]
    [ForwardingFamilyTransformation]
    public ForwardingFamily AddressFamily { get; set; } = ForwardingFamily.Both;

    /// <summary>Per-interface settings instead of the global ones.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? InterfaceName { get; set; }

    protected override string ErrorSubject => "IpForwarding";

    protected override void ProcessInNamespace()
    {
        foreach (var family in AddressFamily.Families())
        foreach (var iface in InterfaceName ?? [null!])
        {
            try
            {
                WriteObject(IpForwarding.Get(Sysctl, family, iface));
            }
            catch (Exception e)
            {
                WriteLvsError(e, iface);
            }
        }
    }
}

/// <summary>The families Get/Set-IpForwarding act on.</summary>
public enum ForwardingFamily
{
    IPv4,
    IPv6,
    Both,
}

/// <summary>Lets an <see cref="IPFamily"/> (from piped settings or addresses) bind to a <see cref="ForwardingFamily"/> parameter by name.</summary>
internal sealed class ForwardingFamilyTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
        (inputData is PSObject pso ? pso.BaseObject : inputData) switch
        {
            IPFamily f => f == IPFamily.IPv6 ? ForwardingFamily.IPv6 : ForwardingFamily.IPv4,
            var other => other,
        };
}

internal static class ForwardingFamilyExtensions
{
    public static IEnumerable<IPFamily> Families(this ForwardingFamily f) => f switch
    {
        ForwardingFamily.IPv4 => [IPFamily.IPv4],
        ForwardingFamily.IPv6 => [IPFamily.IPv6],
        _ => [IPFamily.IPv4, IPFamily.IPv6],
    };
}
