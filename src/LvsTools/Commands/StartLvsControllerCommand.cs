using System.Collections.Concurrent;
using System.Management.Automation;
using System.Runtime.InteropServices;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>
/// Runs the director: probes the real servers, keeps the IPVS table equal to what the document and the health results
/// call for, drains what the document retired, and writes typed events as they happen, until Ctrl+C or SIGTERM (between
/// cycles, never in the middle of an apply). The loop is <see cref="LvsController"/> in Core; this cmdlet binds the
/// parameters, turns SIGTERM into a stop, and writes the events from its own thread.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "LvsController", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LvsControllerEvent))]
public sealed class StartLvsControllerCommand : LvsCommandBase
{
    /// <summary>The document (schema version 1 or 2), read again whenever the file changes.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The cycle period (a number is seconds; default 2).</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A file that gets one JSON line per event, appended.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EventLogPath { get; set; }

    /// <summary>A file that gets the Prometheus text of the table every cycle, replaced atomically.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetricsPath { get; set; }

    /// <summary>Serve the same text over HTTP on a loopback prefix ("http://127.0.0.1:9478/").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetricsListenPrefix { get; set; }

    /// <summary>One probe round and one cycle, then return.</summary>
    [Parameter]
    public SwitchParameter Once { get; set; }

    protected override string ErrorSubject => "LvsController";

    // A controller runs until it is stopped: one director per process (or per job), not one after the other.
    protected override void Begin()
    {
        if (NetNamespace is { Length: > 1 })
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(
                    $"Start-LvsController runs one director until it is stopped; -NetNamespace names {NetNamespace.Length}. " +
                    "Start one controller per namespace (a systemd unit or a Start-ThreadJob each)."),
                "LvsControllerOneNamespace", ErrorCategory.InvalidArgument, NetNamespace));
    }

    protected override void ProcessInNamespace()
    {
        LvsControllerOptions options;
        try
        {
            if (Interval <= TimeSpan.Zero || Interval > TimeSpan.FromDays(1))
                throw LvsException.Invalid("InvalidControllerInterval", $"-Interval {Interval.TotalSeconds} s is not more than 0 and at most a day.", Interval);
            options = new LvsControllerOptions
            {
                Path = FilePath.Resolve(this, Path),
                NetNamespace = ItemNamespace,
                Interval = Interval,
                WhatIf = this.IsWhatIf(),
                EventLogPath = EventLogPath is null ? null : FilePath.ResolveForWrite(this, EventLogPath, "LvsControllerEventLogFolderNotFound"),
                MetricsPath = MetricsPath is null ? null : FilePath.ResolveForWrite(this, MetricsPath, "LvsMetricFolderNotFound"),
                MetricsListenPrefix = MetricsListenPrefix is null ? null : LvsMetricsListener.Validate(MetricsListenPrefix),
            };
        }
        catch (LvsException e)
        {
            ThrowLvsError(e, e.Target);
            return;
        }
        // -WhatIf: says so once here, then every cycle's plan step by step; -Confirm: asks once for the whole run.
        if (!ShouldProcess($"IPVS table{Where}", $"Start-LvsController: keep the services of {options.Path} as the document and the health checks call for")
            && !options.WhatIf)
            return;
        var output = new BlockingCollection<object>();
        void Post(object item)
        {
            try
            {
                output.Add(item);
            }
            catch (InvalidOperationException)
            {
                // the loop has ended; a late probe result has nowhere to go
            }
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        LvsController? controller = null;
        try
        {
            controller = LvsController.Create(options, Post);
            controller.OnPlanned = Post;
            controller.OnCycle = Post;
            controller.Load();
        }
        catch (Exception e)
        {
            controller?.Dispose();
            output.CompleteAdding();
            DrainTo(output);
            ThrowLvsError(e, Path);
            return;
        }
        // systemd stops a service with SIGTERM: end between cycles and return, so that pwsh -c exits 0.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using (controller)
        {
            var loop = Task.Run(() => controller.RunAsync(Once, stop.Token));
            loop.ContinueWith(_ => output.CompleteAdding(), TaskScheduler.Default);
            try
            {
                DrainTo(output);
            }
            finally
            {
                stop.Cancel();
                loop.ContinueWith(_ => { }, TaskScheduler.Default).Wait(); // never dispose the kernel clients under a running apply
                ExitCleanlyIfStopped();
            }
            if (loop.Exception?.GetBaseException() is { } failure)
                ThrowLvsError(failure, Path);
        }
    }

    // Ctrl+C (SIGINT) reaches the cmdlet through PowerShell: the host stops the pipeline (StopProcessing cancels the loop,
    // which ends after the cycle under way), and `pwsh -c` would then exit with 1, PowerShell's code for a stopped
    // command. The stop is the one the user asked for and the loop ended cleanly, so a process that exists to run this
    // command (pwsh -c / -File, as systemd runs it) exits with 0, as on SIGTERM. An interactive session is never ended.
    private void ExitCleanlyIfStopped()
    {
        if (Stopping && Host.Name == "ConsoleHost" && PwshCommandLine.EndsAfterCommand(Environment.GetCommandLineArgs()))
            Host.SetShouldExit(0);
    }

    // Writes what the loop posts, on this (the pipeline's) thread, until the loop ends; once the pipeline is stopping
    // (Ctrl+C) nothing more can be written, and the rest is only consumed (the event log still gets every event).
    private void DrainTo(BlockingCollection<object> output)
    {
        foreach (var item in output.GetConsumingEnumerable())
        {
            if (Stopping)
                continue;
            switch (item)
            {
                case LvsControllerEvent e:
                    WriteObject(e);
                    break;
                case LvsPlanStep step:
                    ShouldProcess(step.Target + Where, step.Operation);
                    break;
                case LvsControllerCycle cycle:
                    WriteVerbose(cycle.ToString());
                    break;
            }
        }
    }
}
