using System.Management.Automation;
using System.Net;
using LvsTools.Core.Ipvs;
using LvsTools.Internal;

namespace LvsTools.Commands;

/// <summary>Lists real servers with weights, connection counts and statistics: the `->` lines of `ipvsadm -Ln`.</summary>
[Cmdlet(VerbsCommon.Get, "LvsRealServer", DefaultParameterSetName = "All")]
[OutputType(typeof(LvsRealServer))]
public sealed class GetLvsRealServerCommand : RealServerCommandBase
{
    // Piped services are read ahead: each one's dump starts when it arrives (IpvsClient.GetRealServersAsync, a few
    // connections at once), and the results are written in input order, at most this many waiting behind the first.
    private const int ReadAhead = 16;

    private OrderedProbes<ServiceKey, List<LvsRealServer>>? _reads;
    private List<(IPAddress Address, ushort? Port)>? _wanted;

    /// <summary>Only these real server addresses.</summary>
    [Parameter(Position = 0)]
    [Alias("RealServer")]
    [ValidateNotNullOrEmpty]
    public string[]? Address { get; set; }

    /// <summary>Only real servers on this port.</summary>
    [Parameter]
    public int? Port { get; set; }

    protected override void ProcessInNamespace()
    {
        // -Address and -Port come from the command line only: parsed once, at the first item.
        if (_wanted is null)
        {
            var wanted = new List<(IPAddress Address, ushort? Port)>();
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
                WriteReads(keep: 0);
                ThrowLvsError(e);
            }
            _wanted = wanted;
        }
        if (!ActInServiceNamespace())
            return;
        if (ParameterSetName == "Service")
        {
            ReadPiped(Service!.Key);
            return;
        }
        List<LvsRealServer> servers;
        ServiceKey? key = null;
        try
        {
            if (ParameterSetName == "All")
            {
                servers = Ipvs.GetAllRealServers();
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
        Write(servers);
    }

    // Starts the read of a piped service and writes what has come back, in input order.
    private void ReadPiped(ServiceKey key)
    {
        Task<List<LvsRealServer>> read;
        try
        {
            read = Ipvs.GetRealServersAsync(key);
        }
        catch (Exception e)
        {
            read = Task.FromException<List<LvsRealServer>>(e);
        }
        _reads ??= new OrderedProbes<ServiceKey, List<LvsRealServer>>(ReadAhead + 1, Cancellation);
        _reads.Start(key, _ => read);
        WriteReads(ReadAhead);
    }

    private void WriteReads(int keep)
    {
        if (_reads is null)
            return;
        try
        {
            foreach (var (key, servers, failure) in _reads.Take(keep))
            {
                if (failure is OperationCanceledException && Cancellation.IsCancellationRequested)
                    throw new PipelineStoppedException();
                if (servers is not null)
                    Write(servers);
                else
                    WriteLvsError(IpvsParameters.Contextualize(failure!, key), key.ToString());
            }
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    // An error about an item is written in its place: after everything read for the items before it.
    protected override void BeforeItemError() => WriteReads(keep: 0);

    protected override void EndProcessing() => WriteReads(keep: 0);

    private void Write(List<LvsRealServer> servers)
    {
        // Within a service, by address and port (the kernel lists newest first; ipvsadm -Ln sorts).
        IEnumerable<LvsRealServer> result = servers.Order(IpvsParameters.RealServerOrder);
        var wanted = _wanted!;
        if (wanted.Count > 0)
            result = result.Where(r => wanted.Any(w => w.Address.Equals(r.Address) && (w.Port is null || w.Port == r.Port)));
        if (Port is { } p)
            result = result.Where(r => r.Port == p);
        WriteObject(result, enumerateCollection: true);
    }
}
