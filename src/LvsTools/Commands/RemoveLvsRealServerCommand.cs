using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Removes real servers from their virtual service: `ipvsadm -d`. With -Drain: weight 0 first (no new connections),
/// then wait until their connections end or the timeout passes, then delete; piped servers drain together.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "LvsRealServer", SupportsShouldProcess = true, DefaultParameterSetName = "InputObject", ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LvsRealServer), typeof(RealServerDrainStatus))]
public sealed class RemoveLvsRealServerCommand : RealServerChangeCommandBase
{
    /// <summary>With -Drain: how often the connection counts are read (a number is seconds). Default 1 second.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>With -Drain: wait for the connections of UDP services too (by default a UDP server is deleted right after its weight 0).</summary>
    [Parameter]
    public SwitchParameter WaitForUdp { get; set; }

    /// <summary>Drain first: weight 0, wait for the active and inactive connections to reach 0 (or the timeout), then delete.</summary>
    [Parameter]
    public SwitchParameter Drain { get; set; }

    /// <summary>With -Drain: how long a server may keep connections before it is deleted anyway (a number is seconds). Default 5 minutes.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(5);

    private readonly DrainRunner _drains = new();
    private readonly Dictionary<string, DrainKernelSettings> _settings = new();

    protected override void Begin() => DrainParameters.Check(this, Drain, DrainTimeout, PollInterval);

    protected override void Process(ServiceKey service, LvsRealServer server)
    {
        try
        {
            if (Drain)
            {
                StartDrain(service, server);
                return;
            }
            if (!ShouldExecute(IpvsOperation.DeleteRealServer(service, server.Address, server.Port)))
                return;
            if (PassThru)
                WriteObject(server);
        }
        catch (Exception e)
        {
            WriteLvsError(IpvsParameters.Contextualize(e, service, server.Endpoint), server.Endpoint);
        }
    }

    private void StartDrain(ServiceKey service, LvsRealServer piped)
    {
        var quiesce = RealServerDrain.QuiesceOperation(piped);
        var delete = RealServerDrain.DeleteOperation(piped);
        string target = quiesce.Target + Where;
        string wait = $"Wait up to {DrainTimeout} for its active and inactive connections to reach 0";
        if (this.IsWhatIf())
        {
            // Three lines, nothing sent.
            ShouldProcess(target, $"{quiesce.CommandName}: {quiesce.Describe()}");
            ShouldProcess(target, service.Protocol == IpvsProtocol.Udp && !WaitForUdp ? "No wait (UDP)" : wait);
            ShouldProcess(target, $"{delete.CommandName}: {delete.Describe()}");
            return;
        }
        if (!ShouldProcess(target, $"Drain: {quiesce.Describe()}; {wait}; {delete.Describe()}"))
            return;
        RealServerDrain drain;
        using (this.HoldUnlessWhatIf(Namespace, Cancellation))
        {
            // The weight-0 edit writes the server's other settings back: take them from the kernel, not from a stale object.
            var current = Ipvs.GetRealServers(service).FirstOrDefault(r => r.Address.Equals(piped.Address) && r.Port == piped.Port);
            if (current is null)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"Real server {piped.Endpoint} is not in virtual service {service}{Where}."),
                    "LvsRealServerNotFound", ErrorCategory.ObjectNotFound, piped.Endpoint));
                return;
            }
            drain = RealServerDrain.Start(Ipvs, current, DrainTimeout, WaitForUdp, DateTimeOffset.UtcNow);
        }
        var key = ItemNamespace ?? "";
        if (!_settings.TryGetValue(key, out var settings))
            _settings[key] = settings = DrainKernelSettings.Read(Sysctl);
        foreach (var w in RealServerDrainAdvice.AtStart(Ipvs.GetService(service), drain.Server, settings))
            WriteWarning(w);
        _drains.Add(drain, Ipvs, settings);
    }

    protected override void EndProcessing()
    {
        if (_drains.Entries.Count == 0)
            return;
        bool finished = _drains.Run(PollInterval, Cancellation, WriteProgress, "Remove-LvsRealServer");
        foreach (var e in _drains.Entries)
        {
            if (DrainReports.Warning(e, !finished) is { } w)
                DrainReports.Warn(this, w);
            if (!finished)
                continue;
            if (e.Error is not null)
                WriteLvsError(IpvsParameters.Contextualize(e.Error, e.Drain.Server.Service, e.Drain.Server.Endpoint), e.Drain.Server.Endpoint);
            else if (PassThru && e.Status is { } s)
                WriteObject(s);
        }
    }
}
