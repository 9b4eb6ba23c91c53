using System.Management.Automation;
using LvsTools.Core.Config;
using LvsTools.Core.Keepalived;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Writes a configuration document as keepalived.conf text (one line an item), as ConvertTo-IpvsadmRule writes rules:
/// `virtual_server` and `real_server` blocks with their checkers, optionally a `vrrp_instance` for the VIPs. Each option
/// keepalived cannot express is a warning and a comment line.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "KeepalivedConfig", DefaultParameterSetName = "InputObject")]
[OutputType(typeof(string))]
public sealed class ConvertToKeepalivedConfigCommand : PSCmdlet
{
    /// <summary>A document from Export-LvsConfiguration -PassThru, ConvertFrom-IpvsadmRule or ConvertFrom-KeepalivedConfig.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    [ValidateNotNull]
    public LvsConfigurationDocument? InputObject { get; set; }

    /// <summary>A JSON document file (as Export-LvsConfiguration writes it).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>With it, a vrrp_instance on this interface holds the VIPs (the document's virtualIps, else its service addresses).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? VrrpInterface { get; set; }

    /// <summary>The vrrp_instance's virtual_router_id (1 to 255; default 51), the same on both directors.</summary>
    [Parameter]
    public int VirtualRouterId { get; set; } = 51;

    /// <summary>The vrrp_instance's priority (1 to 254; default 100): the higher takes the VIPs.</summary>
    [Parameter]
    public int Priority { get; set; } = 100;

    /// <summary>The state the vrrp_instance starts in (default BACKUP).</summary>
    [Parameter]
    [ValidateSet("MASTER", "BACKUP")]
    public string State { get; set; } = "BACKUP";

    protected override void BeginProcessing()
    {
        bool vrrpOption = MyInvocation.BoundParameters.Keys.Any(k => k is "VirtualRouterId" or "Priority" or "State");
        if (vrrpOption && VrrpInterface is null)
            ThrowTerminatingError(ErrorMapper.ToRecord(LvsException.Invalid("VrrpInterfaceMissing",
                "-VirtualRouterId, -Priority and -State describe the vrrp_instance, which is written only with -VrrpInterface.", null), "KeepalivedConfig"));
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "InputObject")
            Convert(InputObject!);
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName != "Path")
            return;
        LvsConfigurationDocument doc;
        try
        {
            var file = FilePath.Resolve(this, Path);
            doc = LvsConfigurationDocument.FromJson(BoundedInput.ReadAllBytes(file, Path, "LvsConfigurationFileNotFound"));
        }
        catch (Exception e)
        {
            ThrowTerminatingError(ErrorMapper.ToRecord(e, "LvsConfiguration", Path));
            return;
        }
        Convert(doc);
    }

    private void Convert(LvsConfigurationDocument doc)
    {
        var vrrp = VrrpInterface is null ? null
            : new KeepalivedVrrpOptions { Interface = VrrpInterface, VirtualRouterId = VirtualRouterId, Priority = Priority, State = State };
        KeepalivedWriteResult result;
        try
        {
            result = KeepalivedConfig.Write(doc, vrrp);
        }
        catch (Exception e)
        {
            WriteError(ErrorMapper.ToRecord(e, "KeepalivedConfig", doc));
            return;
        }
        foreach (var note in result.Notes)
            WriteWarning(note.Message);
        foreach (var line in result.Lines)
            WriteObject(line);
    }
}
