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

    /// <summary>
    /// A file to be replaced: <see cref="Resolve"/>d, then a symbolic link followed to its final target (which is the
    /// file written, so the link stays a link, as with Out-File); a directory is PathIsDirectory, and with
    /// <paramref name="folderNotFoundId"/> a folder that does not exist is an ObjectNotFound with that id.
    /// </summary>
    /// <exception cref="LvsException">InvalidPath, PathIsDirectory, folderNotFoundId.</exception>
    public static string ResolveForWrite(PSCmdlet cmdlet, string path, string? folderNotFoundId = null)
    {
        var full = System.IO.Path.GetFullPath(Resolve(cmdlet, path));
        var info = new FileInfo(full);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            full = target.FullName;
        if (Directory.Exists(full))
            throw LvsException.Invalid("PathIsDirectory", $"'{full}' is a directory, not a file: give the path of the file to write.", path);
        var dir = System.IO.Path.GetDirectoryName(full);
        if (folderNotFoundId is not null && (dir is null || !Directory.Exists(dir)))
            throw new LvsException(LvsErrorKind.NotFound, folderNotFoundId,
                $"Cannot write '{full}': its folder '{dir}' does not exist (create it first).", path);
        return full;
    }
}
