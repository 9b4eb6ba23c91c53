using System.Management.Automation;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Reads kernel parameters under /proc/sys: `sysctl NAME`, `sysctl -a`, with wildcards.</summary>
[Cmdlet(VerbsCommon.Get, "Sysctl")]
[OutputType(typeof(SysctlEntry))]
public sealed class GetSysctlCommand : LvsCommandBase
{
    /// <summary>
    /// Keys in dotted (net.ipv4.ip_forward) or slashed (net/ipv4/ip_forward) form; wildcards per component
    /// (net.ipv4.conf.*.arp_ignore); a directory (net.ipv4.vs) lists everything below it. Default: every key.
    /// </summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Key")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override string ErrorSubject => "Sysctl";

    protected override void ProcessInNamespace()
    {
        foreach (var n in Name ?? ["*"])
        {
            try
            {
                var name = SysctlName.Parse(n, allowWildcards: true);
                if (name.HasWildcards)
                {
                    WriteObject(Sysctl.Find(name), enumerateCollection: true);
                    continue;
                }
                var found = Sysctl.Find(name);
                if (found.Count == 0)
                    WriteObject(Sysctl.Get(name)); // throws SysctlNotFound / PermissionDenied with the reason
                else
                    WriteObject(found, enumerateCollection: true);
            }
            catch (Exception e)
            {
                WriteLvsError(e, n);
            }
        }
    }
}
