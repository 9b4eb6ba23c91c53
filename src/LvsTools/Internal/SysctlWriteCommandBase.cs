using System.Management.Automation;
using LvsTools.Core.Sysctl;

namespace LvsTools.Internal;

/// <summary>
/// Base of Set-Sysctl and Set-IpForwarding: -Persist (record the write in a sysctl.d file, host-wide only),
/// -PersistPath and -PassThru, declared once, with the checks they share.
/// </summary>
public abstract class SysctlWriteCommandBase : LvsCommandBase
{
    /// <summary>Also record the setting in a sysctl.d file so that it survives a reboot.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    /// <summary>The sysctl.d file -Persist writes. Default: /etc/sysctl.d/90-lvstools.conf.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PersistPath { get; set; }

    /// <summary>Write the resulting settings, as read back after the change, to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>A sysctl.d file applies to the host's own namespace: -Persist with -NetNamespace is refused.</summary>
    /// <exception cref="LvsException">PersistInNetNamespace.</exception>
    protected void CheckPersistScope() => CheckPersistScope(Persist);

    /// <summary>
    /// The sysctl.d file a -Persist writes: -PersistPath resolved as PowerShell resolves paths (relative to the current
    /// location, ~, PSDrives; a link written through, a directory refused), or the default file. Null after an error.
    /// </summary>
    protected string? PersistFile()
    {
        try
        {
            var path = PersistPath ?? SysctlPersistence.DefaultPath;
            return Persist ? FilePath.ResolveForWrite(this, path) : path;
        }
        catch (Exception e)
        {
            WriteLvsError(e, PersistPath);
            return null;
        }
    }
}
