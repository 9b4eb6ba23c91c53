using System.Management.Automation;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Writes every service and real server of the IPVS table in the Prometheus text format (what node_exporter's textfile
/// collector reads): to the pipeline as text, or with -Path to a file, atomically. Read-only towards the kernel.
/// </summary>
[Cmdlet(VerbsData.Export, "LvsMetric", DefaultParameterSetName = "Text")]
[OutputType(typeof(string), ParameterSetName = ["Text"])]
[OutputType(typeof(FileInfo), ParameterSetName = ["Path"])]
public sealed class ExportLvsMetricCommand : LvsCommandBase
{
    /// <summary>The file to write (e.g. /var/lib/node_exporter/textfile/lvs.prom), replaced atomically. Without it the text goes to the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>With -Path: write the file written (a FileInfo) to the pipeline.</summary>
    [Parameter(ParameterSetName = "Path")]
    public SwitchParameter PassThru { get; set; }

    protected override string ErrorSubject => "LvsMetric";

    protected override void ProcessInNamespace()
    {
        // The path is checked before the kernel is read: a missing folder is reported at once and nothing is written.
        string file = "";
        if (ParameterSetName == "Path")
        {
            try
            {
                file = FilePath.ResolveForWrite(this, Path, "LvsMetricFolderNotFound");
            }
            catch (LvsException e)
            {
                ThrowTerminatingError(ErrorMapper.ToRecord(e, ErrorSubject, Path));
                return;
            }
        }
        LvsMetricsTable table;
        try
        {
            var services = Ipvs.GetServices();
            table = new LvsMetricsTable(ItemNamespace ?? "", services, Ipvs.GetAllRealServers(services));
        }
        catch (Exception e)
        {
            ThrowLvsError(e, ItemNamespace);
            return;
        }
        if (ParameterSetName == "Text")
        {
            WriteObject(LvsMetrics.ToText([table]));
            return;
        }
        try
        {
            LvsMetrics.WriteFile(file, [table]);
        }
        catch (LvsException e)
        {
            ThrowLvsError(e, file);
            return;
        }
        if (PassThru)
            WriteObject(new FileInfo(file));
    }
}
