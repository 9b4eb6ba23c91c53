using System.Management.Automation;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists real servers with weights, connection counts and statistics: the `->` lines of `ipvsadm -Ln`.</summary>
[Cmdlet(VerbsCommon.Get, "LvsRealServer", DefaultParameterSetName = "All")]
[OutputType(typeof(LvsRealServer))]
public sealed class GetLvsRealServerCommand : RealServerCommandBase
{
    /// <summary>Only these real server addresses.</summary>
    [Parameter(Position = 0)]
    [Alias("RealServer")]
    [ValidateNotNullOrEmpty]
    public string[]? Address { get; set; }

    /// <summary>Only real servers on this port.</summary>
    [Parameter]
    public int? Port { get; set; }

    // Services from the pipeline are read ahead: several dumps in flight over a few sockets, handed back in order.
    private RealServerReadAhead? _readAhead;

    protected override void ProcessRecord()
    {
        var wanted = new List<(System.Net.IPAddress Address, ushort? Port)>();
        try
        {
            foreach (var a in Address ?? [])
            {
                var (ip, port) = Endpoint(a);
                wanted.Add((ip, SamePort(Port, port)));
            }
        }
        catch (Exception e)
        {
            ThrowLvsError(e);
        }
        _wanted = wanted;
        if (!ActInServiceNamespace())
            return;
        List<LvsRealServer> servers;
        ServiceKey? key = null;
        try
        {
            if (ParameterSetName == "All")
            {
                servers = Ipvs.GetAllRealServers();
            }
            else if (ParameterSetName == "Service" && MyInvocation.ExpectingInput)
            {
                ReadAhead(Service!.Key);
                return;
            }
            else
            {
                key = SelectedService();
                servers = Ipvs.GetRealServers(key);
            }
        }
        catch (Exception e)
        {
            WriteLvsError(key is null ? e : IpvsParameters.Contextualize(e, key), key?.ToString() ?? ItemNamespace);
            return;
        }
        Emit(servers);
    }

    private List<(System.Net.IPAddress Address, ushort? Port)> _wanted = [];

    /// <summary>Starts the read of a piped service and writes the reads that are done, oldest first.</summary>
    private void ReadAhead(ServiceKey key)
    {
        var ns = Namespace;
        if (_readAhead is not null && !_readAhead.Namespace.Equals(ns))
            Flush(wait: true);
        _readAhead ??= new RealServerReadAhead(ns, Ipvs.FamilyId);
        _readAhead.Add(key, ItemNamespace);
        Flush(wait: false);
    }

    /// <summary>Writes what the read-ahead has done, in order; with <paramref name="wait"/> all of it, then closes it.</summary>
    private void Flush(bool wait)
    {
        if (_readAhead is null)
            return;
        while (_readAhead.Next(wait) is { } item)
        {
            if (item.Error is { } e)
                WriteLvsError(IpvsParameters.Contextualize(e, item.Service), item.Service.ToString());
            else
                Emit(item.RealServers!);
        }
        if (wait)
        {
            _readAhead.Dispose();
            _readAhead = null;
        }
    }

    protected override void EndProcessing() => Flush(wait: true);

    protected override void DisposeClients()
    {
        _readAhead?.Dispose();
        _readAhead = null;
    }

    private void Emit(List<LvsRealServer> servers)
    {
        // Within a service, by address and port (the kernel lists newest first; ipvsadm -Ln sorts).
        IEnumerable<LvsRealServer> result = servers
            .Order(IpvsParameters.RealServerOrder);
        if (_wanted.Count > 0)
            result = result.Where(r => _wanted.Any(w => w.Address.Equals(r.Address) && (w.Port is null || w.Port == r.Port)));
        if (Port is { } p)
            result = result.Where(r => r.Port == p);
        WriteObject(result, enumerateCollection: true);
    }
}
