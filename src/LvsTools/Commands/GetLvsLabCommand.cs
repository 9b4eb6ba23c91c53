using System.Management.Automation;
using LvsTools.Core.Lab;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists the labs written down in the state folder, with their Status (Ready, Broken, Incomplete).</summary>
[Cmdlet(VerbsCommon.Get, "LvsLab")]
[OutputType(typeof(LvsLab))]
public sealed class GetLvsLabCommand : LabCommandBase
{
    /// <summary>Lab names, wildcards allowed. Default: every lab.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var labs = Store.List((path, e) => WriteWarning(
            $"Cannot read lab state file '{path}' ({e.Message}); Remove-LvsLab -Name {Path.GetFileNameWithoutExtension(path)} removes that lab."));
        foreach (var name in Name ?? ["*"])
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var found = labs.Where(l => pattern.IsMatch(l.Name)).ToList();
            if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteLabError(NotFound(name), name);
            WriteObject(found, enumerateCollection: true);
        }
    }
}
