using System.Management.Automation;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Turns IP forwarding on or off: `echo 1 &gt; /proc/sys/net/ipv4/ip_forward` / `sysctl -w net.ipv4.ip_forward=1`,
/// for IPv4, IPv6 or both, globally or per interface, optionally persisted.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IpForwarding", SupportsShouldProcess = true)]
[OutputType(typeof(IpForwardingSetting))]
public sealed class SetIpForwardingCommand : SysctlWriteCommandBase
{
    /// <summary>$true to forward, $false to stop.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public bool Enabled { get; set; }

    /// <summary>IPv4 (default), IPv6 or Both.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ForwardingFamilyTransformation]
    public ForwardingFamily AddressFamily { get; set; } = ForwardingFamily.IPv4;

    /// <summary>Set the per-interface switch (net.ipv4.conf.IF.forwarding) instead of the global one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [AllowNull]
    public string[]? InterfaceName { get; set; }

    protected override string ErrorSubject => "IpForwarding";

    protected override void ProcessInNamespace()
    {
        try
        {
            CheckPersistScope();
        }
        catch (LvsException e)
        {
            WriteLvsError(e, ItemNamespace);
            return;
        }
        if (PersistFile() is not { } path)
            return;
        foreach (var family in AddressFamily.Families())
        foreach (var iface in InterfaceName ?? [null!])
        {
            try
            {
                var key = IpForwarding.KeyFor(family, iface);
                IpForwarding.Get(Sysctl, family, iface); // the interface must exist before we ask
                if (!ShouldProcess(key.Dotted + Where, $"sysctl -w {key.Dotted}={(Enabled ? 1 : 0)}" + (Persist ? $" and record it in {path}" : "")))
                    continue;
                var result = IpForwarding.Set(Sysctl, family, iface, Enabled);
                if (Persist)
                    SysctlPersistence.Save(path, [(key, Enabled ? "1" : "0")]);
                if (PassThru)
                    WriteObject(result);
            }
            catch (Exception e)
            {
                WriteLvsError(e, iface);
            }
        }
    }
}
