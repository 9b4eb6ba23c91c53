using System.Management.Automation;
using Microsoft.PowerShell.Commands;

namespace LvsTools.Internal;

/// <summary>
/// The one way cmdlets turn a -Path into a file-system path: relative to the current location, `~`, PSDrives, as
/// PowerShell's own cmdlets do; a path of another provider (Env:, Function:, HKLM:) or of a drive that does not exist is
/// an InvalidArgument naming it.
/// </summary>
internal static class FilePath
{
    /// <exception cref="LvsException">InvalidPath.</exception>
    public static string Resolve(PSCmdlet cmdlet, string path)
    {
        string file;
        ProviderInfo provider;
        try
        {
            file = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException or System.IO.DriveNotFoundException or ProviderNotFoundException or ItemNotFoundException
                                   or NotSupportedException or ArgumentException or PSInvalidOperationException)
        {
            throw new LvsException(LvsErrorKind.InvalidArgument, "InvalidPath", $"'{path}' is not a usable file path: {e.Message}", path, e);
        }
        if (provider.ImplementingType != typeof(FileSystemProvider))
            throw LvsException.Invalid("InvalidPath",
                $"'{path}' is a path of the {provider.Name} provider, not of the file system: give a file path.", path);
        return file;
    }
}
