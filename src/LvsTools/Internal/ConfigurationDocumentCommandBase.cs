using System.Management.Automation;
using LvsTools.Core.Config;

namespace LvsTools.Internal;

/// <summary>
/// Base of the cmdlets that take a configuration document (Import-, Sync-, Compare-, Test-LvsConfiguration): -Path or a
/// piped document, read and checked whole before the kernel is touched.
/// </summary>
public abstract class ConfigurationDocumentCommandBase : LvsCommandBase
{
    /// <summary>The JSON document to apply.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A document from Export-LvsConfiguration or ConvertFrom-IpvsadmRule.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
    [ValidateNotNull]
    public LvsConfigurationDocument? InputObject { get; set; }

    /// <summary>
    /// The document, checked whole (a piped document was never read from JSON), with the services and real servers the
    /// check built (what a plan compares). Throws the document's own error (a bad file, a bad entry).
    /// </summary>
    /// A document that cannot be read or checked ends the cmdlet with its own error (its id, the JSON path, the value).
    protected LvsConfigurationDocument ReadDocument(out LvsResolvedEntries resolved)
    {
        try
        {
            if (InputObject is not null)
            {
                resolved = LvsConfigurationValidator.Resolve(InputObject);
                return InputObject;
            }
            var file = FilePath.Resolve(this, Path);
            return LvsConfigurationDocument.FromJson(BoundedInput.ReadAllBytes(file, Path, "LvsConfigurationFileNotFound"), out resolved);
        }
        catch (Exception e)
        {
            ThrowLvsError(e, DocumentTarget);
            throw; // not reached: ThrowLvsError throws
        }
    }

    /// <summary>What an error about the document names: the file, or the piped document.</summary>
    protected object DocumentTarget => InputObject is null ? Path : InputObject;

    /// <summary>A section the document leaves out, in words: "section 'timeouts'", "the real servers of $.services[2]".</summary>
    protected static string UnmanagedText(string section) =>
        section.StartsWith('$') ? $"the real servers of {section[..section.LastIndexOf('.')]}" : $"section '{section}'";
}
