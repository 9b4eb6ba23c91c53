using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Sysctl;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Writes a kernel parameter: `sysctl -w NAME=VALUE`, optionally kept across reboots in sysctl.d.</summary>
[Cmdlet(VerbsCommon.Set, "Sysctl", SupportsShouldProcess = true)]
[OutputType(typeof(SysctlEntry))]
public sealed class SetSysctlCommand : SysctlWriteCommandBase
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

    /// <summary>
    /// With -NetNamespace: also write a host-wide key (kernel.*, vm.*, net.core.rmem_max ...), knowing that it
    /// changes the whole host and every namespace, not only the one named.
    /// </summary>
    [Parameter]
    public SwitchParameter HostWide { get; set; }

    protected override string ErrorSubject => "Sysctl";

    protected override bool HostWideSysctl => HostWide;

    protected override void ProcessInNamespace()
    {
        SysctlName name;
        try
        {
            name = SysctlName.Parse(Name);
            CheckPersistScope();
            Sysctl.CheckScope(name); // SysctlNotNamespaced, also under -WhatIf
            if (!Sysctl.Exists(name))
                Sysctl.Get(name); // throws SysctlNotFound naming the key
        }
        catch (Exception e)
        {
            WriteLvsError(e, Name);
            return;
        }
        if (PersistFile() is not { } path)
            return;
        var value = Value.Length <= 64 ? Value : SysctlStore.Shorten(Value);
        var action = $"sysctl -w {name.Dotted}={value}" + (Persist ? $" and record it in {path}" : "");
        // A host-wide key is named as such: "(netns a1)" would claim a scope the write does not have.
        if (!ShouldProcess(name.Dotted + (name.Scope == SysctlScope.Host ? " (host-wide)" : Where), action))
            return;
        try
        {
            // With -Persist, the write and the file's read-modify-write under the file's lock: concurrent Set-Sysctl
            // -Persist runs neither lose each other's lines nor leave the file disagreeing with the kernel.
            SysctlEntry entry;
            using (Persist ? WriterLock.ForFile(path, cancellation: Cancellation) : null)
            {
                entry = Sysctl.Set(name, Value);
                if (Persist)
                    SysctlPersistence.Save(path, [(name, entry.Value)]);
            }
            if (PassThru)
                WriteObject(entry);
        }
        catch (Exception e)
        {
            WriteLvsError(e, Name);
        }
    }
}
