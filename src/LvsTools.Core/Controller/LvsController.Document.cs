using System.Security.Cryptography;
using LvsTools.Core.Config;
using LvsTools.Core.Controller;

namespace LvsTools;

public sealed partial class LvsController
{
    /// <summary>The document in force (null before <see cref="Load"/>).</summary>
    public LvsConfigurationDocument? Document => _doc?.Document;

    // The file's time and length (null: no file): a stat, not a read.
    private (DateTime Written, long Length)? FileStamp()
    {
        var file = new FileInfo(_options.Path);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : null;
    }

    // Whether the file's time or length changed since it was last read (then a full cycle reads it).
    private bool DocumentChanged() => FileStamp() != _stamp;

    // The file is read again when its time or length changed, and taken when its content did.
    private void ReloadIfChanged()
    {
        var stamp = FileStamp();
        if (stamp == _stamp)
            return;
        try
        {
            Reload();
        }
        catch (Exception e) when (e is LvsException or IOException or UnauthorizedAccessException)
        {
            _stamp = stamp; // rejected once, not again every cycle
            Raise(LvsReconciler.Event(_time.GetUtcNow(), LvsControllerEventKind.ConfigRejected, null, null,
                $"{e.Message} The last good document stays in force."));
        }
    }

    private void Reload()
    {
        var stamp = FileStamp();
        var bytes = BoundedInput.ReadAllBytes(_options.Path, _options.Path, "LvsConfigurationFileNotFound");
        var hash = SHA256.HashData(bytes);
        if (_hash is not null && hash.AsSpan().SequenceEqual(_hash))
        {
            _stamp = stamp;
            return;
        }
        var controlled = ControlledDocuments.From(LvsConfigurationDocument.FromJson(bytes));
        (_doc, _hash, _stamp) = (controlled, hash, stamp);
        var reals = controlled.Services.SelectMany(s => s.RealServers ?? []).ToList();
        Raise(LvsReconciler.Event(_time.GetUtcNow(), LvsControllerEventKind.ConfigLoaded, null, null,
            $"{_options.Path}: schemaVersion {controlled.Document.SchemaVersion}, {controlled.Services.Count} service(s), {reals.Count} real server(s), " +
            $"{reals.Count(r => r.Probed)} probed, {reals.Count(r => r.Maintenance)} in maintenance"));
    }

    // Every event: the namespace stamped on, a JSON line appended to the event log, then the callback.
    private void Raise(LvsControllerEvent e)
    {
        e = e with { NetNamespace = _options.NetNamespace };
        if (_options.EventLogPath is { } log)
        {
            lock (_logGate)
            {
                try
                {
                    File.AppendAllText(log, e.ToJson() + "\n");
                }
                catch (Exception x) when (x is IOException or UnauthorizedAccessException)
                {
                    _onEvent(LvsReconciler.Event(_time.GetUtcNow(), LvsControllerEventKind.Error, null, null,
                        $"The event log {log} cannot be written: {x.Message}") with { NetNamespace = _options.NetNamespace });
                }
            }
        }
        _onEvent(e);
    }
}
