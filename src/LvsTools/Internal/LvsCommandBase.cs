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
/// An object given to a cmdlet (piped or by parameter) acts in the namespace it came from: a cmdlet calls
/// <see cref="ActIn"/> with the object's NetNamespace before it touches the kernel for that object.
/// </summary>
public abstract class LvsCommandBase : PSCmdlet, IDisposable
{
    private readonly Dictionary<string, NetNamespace> _namespaces = new();
    private readonly Dictionary<string, RouteClient> _routes = new();
    private readonly Dictionary<string, IpvsClient> _ipvs = new();
    private readonly CancellationTokenSource _stop = new();
    private bool _namespaceOnCommandLine;
    private string? _commandLineNamespace;
    private (string? Name, bool Set) _object;

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

    /// <summary>
    /// The spelling of the namespace the current item acts in: the namespace of the object being processed (see
    /// <see cref="ActIn"/>), else -NetNamespace (given, or bound from a piped object's property); null for the
    /// process's own namespace. Objects written out carry this spelling.
    /// </summary>
    protected string? ItemNamespace => _object.Set ? _object.Name : NetNamespace;

    /// <summary>The namespace of the current pipeline item, resolved once per spelling.</summary>
    protected NetNamespace Namespace
    {
        get
        {
            var key = ItemNamespace ?? "";
            if (!_namespaces.TryGetValue(key, out var ns))
                _namespaces[key] = ns = Core.NetNamespace.Resolve(key);
            return ns;
        }
    }

    protected RouteClient Route => ClientFor(_routes, RouteClient.Open);

    /// <summary>Whether -HostWide lets a sysctl store bound to a named namespace write host-wide keys.</summary>
    protected virtual bool HostWideSysctl => false;

    protected SysctlStore Sysctl => new(Namespace) { AllowHostWide = HostWideSysctl };

    // Only the parameters of the command line are bound here; pipeline values come later, item by item.
    protected sealed override void BeginProcessing()
    {
        _namespaceOnCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(NetNamespace));
        _commandLineNamespace = NetNamespace;
        Begin();
    }

    /// <summary>What a derived cmdlet does at BeginProcessing (the base captures the command line's -NetNamespace first).</summary>
    protected virtual void Begin() { }

    /// <summary>
    /// Makes the kernel calls that follow act in the namespace an object came from (its NetNamespace property),
    /// until the next call. An explicit -NetNamespace that names another namespace is an error
    /// (NetNamespaceMismatch, written here; the method then returns false and the object must be skipped):
    /// an object never silently acts somewhere else than where it was read.
    /// </summary>
    /// <param name="objectNamespace">The object's NetNamespace.</param>
    /// <param name="target">The object (the error's target).</param>
    /// <param name="what">How messages name it ("Virtual service TCP 10.0.0.1:80").</param>
    protected bool ActIn(string? objectNamespace, object target, string what)
    {
        _object = default;
        if (_namespaceOnCommandLine && !Core.NetNamespace.Same(_commandLineNamespace, objectNamespace))
        {
            WriteError(new ErrorRecord(new ArgumentException(
                    $"{what} comes from {Describe(objectNamespace)}, but -NetNamespace names {Describe(_commandLineNamespace)}. " +
                    "An object acts where it came from: leave out -NetNamespace, or name the object's namespace."),
                "NetNamespaceMismatch", ErrorCategory.InvalidArgument, target));
            return false;
        }
        _object = (string.IsNullOrEmpty(objectNamespace) ? null : objectNamespace, true);
        return true;
    }

    /// <summary>Makes the kernel calls that follow act in the namespace -NetNamespace names (no object involved).</summary>
    protected void ActInParameterNamespace() => _object = default;

    private static string Describe(string? ns) =>
        string.IsNullOrEmpty(ns) ? "the current network namespace" : $"network namespace '{ns}'";

    /// <summary>The IPVS table of the current item's namespace (GenericFamilyNotFoundException → NotInstalled when absent).</summary>
    protected IpvsClient Ipvs => ClientFor(_ipvs, IpvsClient.Open);

    /// <summary>The client of the current item's namespace, opened on first use and closed with the cmdlet.</summary>
    private T ClientFor<T>(Dictionary<string, T> clients, Func<NetNamespace, T> open)
    {
        var ns = Namespace;
        var key = ItemNamespace ?? "";
        if (!clients.TryGetValue(key, out var client))
            clients[key] = client = open(ns);
        return client;
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

    /// <summary>
    /// Runs the kernel calls of a command that reads or writes one namespace as a whole (a table, its timeouts, its
    /// daemons); a failure is an error against the namespace: written, and the pipeline goes on, or with
    /// <paramref name="terminating"/> the command stops.
    /// </summary>
    protected void ForNamespace(Action calls, bool terminating = false)
    {
        try
        {
            calls();
        }
        catch (Exception e) when (!terminating)
        {
            WriteLvsError(e, NetNamespace);
        }
        catch (Exception e)
        {
            ThrowLvsError(e, NetNamespace);
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose()
    {
        foreach (var c in _routes.Values.Concat<IDisposable>(_ipvs.Values).Concat(_namespaces.Values))
            c.Dispose();
        _routes.Clear();
        _ipvs.Clear();
        _namespaces.Clear();
        DisposeClients();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets derived cmdlets close further clients.</summary>
    protected virtual void DisposeClients() { }

    /// <summary>" (netns X)" naming the namespace the current item acts in, for messages and -WhatIf; or "".</summary>
    protected string Where => string.IsNullOrEmpty(ItemNamespace) ? "" : $" (netns {ItemNamespace})";
}
