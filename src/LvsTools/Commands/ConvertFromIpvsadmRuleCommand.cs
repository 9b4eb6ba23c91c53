using System.Management.Automation;
using LvsTools.Core.Config;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Reads `ipvsadm -S -n` / `ipvsadm -R` rule text into a configuration document. Lines are checked as they arrive (at most
/// 64 MiB and 64 KiB per line); a bad line means an error naming every bad line, and no document.
/// </summary>
[Cmdlet(VerbsData.ConvertFrom, "IpvsadmRule", DefaultParameterSetName = "Line")]
[OutputType(typeof(LvsConfigurationDocument))]
public sealed class ConvertFromIpvsadmRuleCommand : PSCmdlet
{
    private IpvsadmRuleReader _reader = new();

    /// <summary>Rule lines, e.g. from `ipvsadm -S -n` or Get-Content.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Line")]
    [AllowEmptyString]
    public string[] Line { get; set; } = [];

    /// <summary>A rules file (as written by ipvsadm-save).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (ParameterSetName != "Line")
            return;
        try
        {
            foreach (var l in Line)
                _reader.Add(l);
        }
        catch (Exception e)
        {
            ThrowTerminatingError(ErrorMapper.ToRecord(e, "IpvsadmRule", null));
        }
    }

    protected override void EndProcessing()
    {
        try
        {
            if (ParameterSetName == "Path")
            {
                var file = FilePath.Resolve(this, Path);
                _reader = new IpvsadmRuleReader { InputName = $"'{file}'" };
                foreach (var l in BoundedInput.ReadLines(file, Path, "IpvsadmRuleFileNotFound"))
                    _reader.Add(l);
            }
            WriteObject(_reader.ToDocument());
        }
        catch (Exception e)
        {
            ThrowTerminatingError(ErrorMapper.ToRecord(e, "IpvsadmRule", Path));
        }
    }
}
