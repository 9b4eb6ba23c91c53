using LvsTools.Core.Config;
using LvsTools.Core.Controller;

namespace LvsTools;

public sealed partial class LvsController
{
    private LvsMetricsListener? _listener;

    // The listener is started before the first cycle: a prefix that cannot be served stops the controller at once.
    private void StartMetrics()
    {
        if (_options.MetricsListenPrefix is { } prefix && _listener is null)
            _listener = LvsMetricsListener.Start(prefix);
    }

    /// <summary>
    /// The metrics of the table as this cycle read it (every service of the namespace, as Export-LvsMetric writes them) with
    /// the health of the probed servers: to -MetricsPath atomically, and to the listener. A file that cannot be written
    /// is an Error event; the loop goes on.
    /// </summary>
    private void WriteMetrics(LvsKernelState live)
    {
        if (_options.MetricsPath is null && _listener is null)
            return;
        var table = new LvsMetricsTable(_options.NetNamespace ?? "",
            live.Services.Values.Select(s => s.Service).ToList(),
            live.Services.Values.SelectMany(s => s.RealServers.Values).ToList(),
            _reconciler.HealthMap());
        if (_options.MetricsPath is { } path)
        {
            try
            {
                LvsMetrics.WriteFile(path, [table]);
            }
            catch (LvsException e)
            {
                Raise(LvsReconciler.Event(_time.GetUtcNow(), LvsControllerEventKind.Error, null, null, e.Message));
            }
        }
        _listener?.Publish(LvsMetrics.ToText([table]));
    }
}
