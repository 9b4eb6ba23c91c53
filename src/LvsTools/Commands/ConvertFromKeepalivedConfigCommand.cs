using System.Management.Automation;
using System.Text;
using LvsTools.Core.Keepalived;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Reads keepalived.conf (its includes, comments, quoted strings, virtual_server_group) into a configuration document that
/// Import-LvsConfiguration, Sync-LvsConfiguration and ConvertTo-IpvsadmRule take. What LvsTools does not manage (global_defs,
/// vrrp_*) is skipped with a verbose message; options it cannot express are warnings; what it cannot read is an error
/// naming the file and line.
/// </summary>
[Cmdlet(VerbsData.ConvertFrom, "KeepalivedConfig", DefaultParameterSetName = "Path")]
[OutputType(typeof(LvsConfigurationDocument))]
public sealed class ConvertFromKeepalivedConfigCommand : PSCmdlet
{
    private readonly StringBuilder _text = new();

    /// <summary>A keepalived.conf file; its includes are read relative to its folder.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>keepalived.conf text, e.g. from Get-Content; includes are read relative to the current location.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Line")]
    [AllowEmptyString]
    public string[] Line { get; set; } = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName != "Line")
            return;
        foreach (var l in Line)
        {
            if (_text.Length + l.Length > Core.Config.BoundedInput.MaxInputBytes)
                ThrowTerminatingError(ErrorMapper.ToRecord(Core.Config.BoundedInput.TooLarge("The keepalived.conf text", null,
                    Core.Config.BoundedInput.MaxInputBytes), "KeepalivedConfig"));
            _text.Append(l).Append('\n');
        }
    }

    protected override void EndProcessing()
    {
        KeepalivedReadResult result;
        try
        {
            result = ParameterSetName == "Path"
                ? KeepalivedConfig.Read(FilePath.Resolve(this, Path))
                : KeepalivedConfig.ReadText(_text.ToString(), "(pipeline)", SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (Exception e)
        {
            ThrowTerminatingError(ErrorMapper.ToRecord(e, "KeepalivedConfig", ParameterSetName == "Path" ? Path : null));
            return;
        }
        foreach (var note in result.Notes)
        {
            if (note.Kind == KeepalivedNoteKind.Skipped) WriteVerbose(note.Message);
            else WriteWarning(note.Message);
        }
        WriteObject(result.Document);
    }
}
