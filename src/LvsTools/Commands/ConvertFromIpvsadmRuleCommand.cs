using System.Management.Automation;
using LvsTools.Core.Config;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Reads `ipvsadm -S -n` / `ipvsadm -R` rule text into a configuration document.</summary>
[Cmdlet(VerbsData.ConvertFrom, "IpvsadmRule", DefaultParameterSetName = "Line")]
[OutputType(typeof(LvsConfigurationDocument))]
public sealed class ConvertFromIpvsadmRuleCommand : PSCmdlet
{
    private readonly List<string> _lines = [];

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
        if (ParameterSetName == "Line")
            foreach (var l in Line)
                _lines.AddRange(l.Split('\n'));
    }

    protected override void EndProcessing()
    {
        try
        {
            if (ParameterSetName == "Path")
            {
                var file = GetUnresolvedProviderPathFromPSPath(Path);
                if (!File.Exists(file))
                    throw new LvsException(LvsErrorKind.NotFound, "IpvsadmRuleFileNotFound", $"The rules file '{file}' does not exist.", Path);
                _lines.AddRange(File.ReadAllLines(file));
            }
            WriteObject(IpvsadmRules.Parse(_lines));
        }
        catch (Exception e)
        {
            ThrowTerminatingError(ErrorMapper.ToRecord(e, "IpvsadmRule", Path));
        }
    }
}
