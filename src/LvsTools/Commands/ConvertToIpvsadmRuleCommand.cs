using System.Management.Automation;
using LvsTools.Core.Config;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Writes a configuration document as `ipvsadm -R` rules: what `ipvsadm -S -n` prints, plus the thresholds and tunnel
/// options it leaves out.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "IpvsadmRule")]
[OutputType(typeof(string))]
public sealed class ConvertToIpvsadmRuleCommand : PSCmdlet
{
    /// <summary>A document from Export-LvsConfiguration or ConvertFrom-IpvsadmRule.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public LvsConfigurationDocument? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            foreach (var line in IpvsadmRules.Format(InputObject!))
                WriteObject(line);
        }
        catch (Exception e)
        {
            WriteError(ErrorMapper.ToRecord(e, "IpvsadmRule", InputObject));
        }
    }
}
