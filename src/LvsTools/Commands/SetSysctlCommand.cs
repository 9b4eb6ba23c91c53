using System.Management.Automation;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Writes a kernel parameter: `sysctl -w NAME=VALUE`, optionally kept across reboots in sysctl.d.</summary>
[Cmdlet(VerbsCommon.Set, "Sysctl", SupportsShouldProcess = true)]
[OutputType(typeof(SysctlEntry))]
public sealed class SetSysctlCommand : LvsCmdlet
{
    /// <summary>The key, dotted or slashed (net.ipv4.ip_forward).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Key")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The value to write (numbers, or several separated by blanks for vector keys).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string Value { get; set; } = "";

    /// <summary>Also record the setting in a sysctl.d file so that it survives a reboot.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    /// <summary>The sysctl.d file -Persist writes. Default: /etc/sysctl.d/90-lvstools.conf.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PersistPath { get; set; }

    /// <summary>Write the entry, as read back after the change, to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override string ErrorSubject => "Sysctl";

    protected override void ProcessRecord()
    {
        SysctlName name;
        try
        {
            name = SysctlName.Parse(Name);
            if (Persist && !string.IsNullOrEmpty(NetNamespace))
                throw LvsException.Invalid("PersistInNetNamespace",
                    "-Persist writes a host-wide sysctl.d file; it cannot be combined with -NetNamespace.", NetNamespace);
            if (!Sysctl.Exists(name))
                Sysctl.Get(name); // throws SysctlNotFound naming the key
        }
        catch (Exception e)
        {
            WriteLvsError(e, Name);
            return;
        }
        var path = PersistPath ?? SysctlPersistence.DefaultPath;
        try
        {
            // relative to the current location, ~ and PSDrives as in PowerShell; a link is written through, a directory refused
            if (Persist)
                path = FilePath.ResolveForWrite(this, path);
        }
        catch (Exception e)
        {
            WriteLvsError(e, PersistPath);
            return;
        }
        var action = $"sysctl -w {name.Dotted}={Value}" + (Persist ? $" and record it in {path}" : "");
        if (!ShouldProcess(name.Dotted + Where, action))
            return;
        try
        {
            var entry = Sysctl.Set(name, Value);
            if (Persist)
                SysctlPersistence.Save(path, [(name, entry.Value)]);
            if (PassThru)
                WriteObject(entry);
        }
        catch (Exception e)
        {
            WriteLvsError(e, Name);
        }
    }
}
