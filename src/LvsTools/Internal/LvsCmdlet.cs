using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Internal;

/// <summary>
/// Base of every cmdlet that talks to the kernel: the -NetNamespace parameter (bindable by property name, so
/// objects carry their namespace down a pipeline), kernel clients opened lazily once per namespace and
/// closed when the cmdlet ends, cancellation on Ctrl+C, and error reporting through <see cref="ErrorMapper"/>.
/// </summary>
public abstract class LvsCmdlet : PSCmdlet, IDisposable
{
    private readonly Dictionary<string, NetNamespace> _namespaces = new();
    private readonly Dictionary<NetNamespace, RouteClient> _routes = new();
    private readonly Dictionary<NetNamespace, IpvsClient> _ipvs = new();
    private readonly CancellationTokenSource _stop = new();

    /// <summary>
    /// The network namespace to work in: a name from /run/netns (as `ip netns add` creates) or a
    /// /proc/PID/ns/net path. Default: the namespace of the PowerShell process.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    public string? NetNamespace { get; set; }

    /// <summary>The noun used for error ids of kernel failures ("NetAlias" → "NetAliasExists").</summary>
    protected abstract string ErrorSubject { get; }

    protected CancellationToken Cancellation => _stop.Token;

    /// <summary>The namespace of the current pipeline item.</summary>
    protected NetNamespace Namespace
    {
        get
        {
            var key = NetNamespace ?? "";
            if (!_namespaces.TryGetValue(key, out var ns))
                _namespaces[key] = ns = Core.NetNamespace.Resolve(NetNamespace);
            return ns;
        }
    }

    protected RouteClient Route
    {
        get
        {
            var ns = Namespace;
            if (!_routes.TryGetValue(ns, out var client))
                _routes[ns] = client = RouteClient.Open(ns);
            return client;
        }
    }

    protected SysctlStore Sysctl => new(Namespace);

    /// <summary>The IPVS table of the current item's namespace (GenericFamilyNotFoundException → NotInstalled when absent).</summary>
    protected IpvsClient Ipvs
    {
        get
        {
            var ns = Namespace;
            if (!_ipvs.TryGetValue(ns, out var client))
                _ipvs[ns] = client = IpvsClient.Open(ns);
            return client;
        }
    }

    /// <summary>
    /// Sends one IPVS operation after ShouldProcess, whose action names the exact request and its ipvsadm twin
    /// ("IPVS_CMD_NEW_SERVICE: ipvsadm -A -t 10.0.0.1:80 -s wrr"). Returns false when -WhatIf or the user declined.
    /// </summary>
    protected bool ShouldExecute(IpvsOperation operation)
    {
        operation.Validate();
        if (!ShouldProcess(operation.Target + Where, $"{operation.CommandName}: {operation.Describe()}"))
            return false;
        Ipvs.Execute(operation);
        return true;
    }

    /// <summary>Reports a failed pipeline item and goes on with the next.</summary>
    protected void WriteLvsError(Exception e, object? target = null, IReadOnlyDictionary<LvsErrorKind, string>? overrides = null) =>
        WriteError(ErrorMapper.ToRecord(e, ErrorSubject, target, overrides));

    /// <summary>Stops the cmdlet: nothing further can proceed.</summary>
    protected void ThrowLvsError(Exception e, object? target = null, IReadOnlyDictionary<LvsErrorKind, string>? overrides = null) =>
        ThrowTerminatingError(ErrorMapper.ToRecord(e, ErrorSubject, target, overrides));

    /// <summary>An InvalidArgument error for a value the cmdlet itself rejects.</summary>
    protected void ThrowInvalid(string errorId, string message, object? target) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose()
    {
        foreach (var c in _routes.Values)
            c.Dispose();
        _routes.Clear();
        foreach (var c in _ipvs.Values)
            c.Dispose();
        _ipvs.Clear();
        DisposeClients();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets derived cmdlets close further clients.</summary>
    protected virtual void DisposeClients() { }

    /// <summary>"in namespace X" for messages, or "".</summary>
    protected string Where => string.IsNullOrEmpty(NetNamespace) ? "" : $" (netns {NetNamespace})";
}
