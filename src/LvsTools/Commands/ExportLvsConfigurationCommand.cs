using System.Management.Automation;
using System.Text;
using LvsTools.Core.Config;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Writes the whole LVS configuration (services, real servers with thresholds and tunnel options, scheduler flags,
/// persistence, timeouts, sync daemons; optionally the virtual IPs and sysctls) as a versioned JSON document.
/// </summary>
[Cmdlet(VerbsData.Export, "LvsConfiguration", SupportsShouldProcess = true, DefaultParameterSetName = "Object")]
[OutputType(typeof(LvsConfigurationDocument), ParameterSetName = ["Object"])]
[OutputType(typeof(System.IO.FileInfo), ParameterSetName = ["Path"])]
public sealed class ExportLvsConfigurationCommand : LvsCommandBase
{
    /// <summary>The JSON file to write. Without it the document object goes to the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Also export the addresses that carry the services' virtual IPs.</summary>
    [Parameter]
    public SwitchParameter IncludeVirtualIp { get; set; }

    /// <summary>Also export the sysctls a director or real server depends on (forwarding, net.ipv4.vs.*, arp_ignore/arp_announce).</summary>
    [Parameter]
    public SwitchParameter IncludeSysctl { get; set; }

    /// <summary>Overwrite a read-only file.</summary>
    [Parameter(ParameterSetName = "Path")]
    public SwitchParameter Force { get; set; }

    /// <summary>Do not overwrite an existing file.</summary>
    [Parameter(ParameterSetName = "Path")]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>With -Path: write the file written (a FileInfo) to the pipeline; without it nothing is, as Export-Csv and Out-File.</summary>
    [Parameter(ParameterSetName = "Path")]
    public SwitchParameter PassThru { get; set; }

    protected override string ErrorSubject => "LvsConfiguration";

    protected override void ProcessInNamespace()
    {
        // The path is checked before the kernel is read: a directory or a missing folder is reported as such, at once.
        string file = "";
        if (ParameterSetName == "Path")
        {
            try
            {
                file = FilePath.ResolveForWrite(this, Path, "LvsConfigurationFolderNotFound");
            }
            catch (LvsException e)
            {
                ThrowTerminatingError(ErrorMapper.ToRecord(e, ErrorSubject, Path));
                return;
            }
        }
        LvsConfigurationDocument doc;
        try
        {
            doc = LvsConfigurationSync.Read(Ipvs, IncludeVirtualIp ? Route : null, IncludeSysctl ? Sysctl : null);
        }
        catch (Exception e)
        {
            ThrowLvsError(e, ItemNamespace);
            return;
        }
        if (ParameterSetName == "Object")
        {
            WriteObject(doc);
            return;
        }
        if (NoClobber && File.Exists(file))
        {
            string given = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            string shown = given != file ? $"'{given}' (a link to '{file}')" : $"'{file}'";
            ThrowTerminatingError(new ErrorRecord(new IOException($"{shown} exists and -NoClobber was given: nothing was written."), "LvsConfigurationFileExists",
                ErrorCategory.ResourceExists, given));
        }
        if (!ShouldProcess(file, $"Write {doc.Services?.Count ?? 0} services and {doc.RealServerCount} real servers"))
            return;
        var dir = System.IO.Path.GetDirectoryName(file)!;
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(file)}.{Environment.ProcessId}.tmp");
        try
        {
            if (Force && File.Exists(file))
                File.SetAttributes(file, File.GetAttributes(file) & ~FileAttributes.ReadOnly);
            // Written beside the target and renamed over it: a reader never sees half a document. The target keeps its mode.
            using (var stream = File.Create(tmp))
                doc.WriteJson(stream);
            if (File.Exists(file) && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(tmp, File.GetUnixFileMode(file));
            File.Move(tmp, file, overwrite: true);
            if (PassThru)
                WriteObject(InvokeProvider.Item.Get(WildcardPattern.Escape(file)), enumerateCollection: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception) { /* nothing was written, or it is not ours to clean */ }
            bool denied = e is UnauthorizedAccessException;
            // The message names the file the user asked for, never the temporary file beside it.
            string why = denied ? $"permission denied (writing needs write permission on the folder '{dir}')" : e.Message.Replace(tmp, file, StringComparison.Ordinal).TrimEnd('.');
            ThrowTerminatingError(new ErrorRecord(new IOException($"Cannot write '{file}': {why}.", e), "LvsConfigurationWriteFailed",
                denied ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, file));
        }
    }
}
