using System.Management.Automation;
using LvsTools.Core;
using LvsTools.Core.Ipvs;
using LvsTools.Core.Route;
using LvsTools.Core.Sysctl;

namespace LvsTools.Internal;

/// <summary>
/// Base of every cmdlet that talks to the kernel: the -NetNamespace parameter (one or several names, bindable by
/// property name, so objects carry their namespace down a pipeline), kernel clients opened lazily once per namespace
/// and closed when the cmdlet ends, cancellation on Ctrl+C, and error reporting through <see cref="ErrorMapper"/>.
/// Each pipeline item is processed once per namespace named (<see cref="ProcessInNamespace"/>); every name on the
/// command line is resolved before the first item, so one bad name changes nothing anywhere.
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
    private string?[] _commandLineNamespaces = [null];
    private string? _pass;
    private bool _firstPass;
    private bool _refused;
    private (string? Name, bool Set) _object;

    /// <summary>
    /// The network namespaces to work in: names from /run/netns (as `ip netns add` creates) or /proc/PID/ns/net
    /// paths. Default: the namespace of the PowerShell process. With several, the command runs in each in turn.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    public string[]? NetNamespace { get; set; }

    /// <summary>The noun used for error ids of kernel failures ("NetAlias" → "NetAliasExists").</summary>
    protected abstract string ErrorSubject { get; }

    protected CancellationToken Cancellation => _stop.Token;

    /// <summary>
    /// The spelling of the namespace the current item acts in: the namespace of the object being processed (see
    /// <see cref="ActIn"/>), else -NetNamespace (given, or bound from a piped object's property); null for the
    /// process's own namespace. Objects written out carry this spelling.
    /// </summary>
    protected string? ItemNamespace => _object.Set ? _object.Name : _pass;

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
        if (_namespaceOnCommandLine)
            _commandLineNamespaces = Distinct(NetNamespace);
        Begin();
        // A command that changes the kernel checks every name after its parameters and before its first item: a list
        // with one bad name fails before anything is changed anywhere. A command that only reads reports a bad name in
        // its turn and goes on with the others.
        if (_namespaceOnCommandLine && ChangesState)
        {
            foreach (var name in _commandLineNamespaces)
            {
                _pass = name;
                try
                {
                    _ = Namespace;
                }
                catch (Exception e)
                {
                    // Reported once, as the error of the command; no item is processed anywhere.
                    WriteLvsError(e, name);
                    _refused = true;
                    break;
                }
            }
            _pass = null;
        }
    }

    private bool ChangesState =>
        GetType().GetCustomAttributes(typeof(CmdletAttribute), false) is [CmdletAttribute { SupportsShouldProcess: true }];

    /// <summary>What a derived cmdlet does at BeginProcessing (the base captures the command line's -NetNamespace first).</summary>
    protected virtual void Begin() { }

    // One pass per namespace named: on the command line, or bound from the piped object's NetNamespace property.
    protected sealed override void ProcessRecord()
    {
        if (_refused)
            return;
        var passes = _namespaceOnCommandLine ? _commandLineNamespaces : Distinct(NetNamespace);
        _firstPass = true;
        foreach (var name in passes)
        {
            _pass = name;
            _object = default;
            ProcessInNamespace();
            _firstPass = false;
        }
        ProcessedInEveryNamespace();
    }

    /// <summary>What a derived cmdlet does once a pipeline item has been processed in every namespace named.</summary>
    protected virtual void ProcessedInEveryNamespace() { }

    /// <summary>What a derived cmdlet does for one pipeline item in one namespace (<see cref="ItemNamespace"/>).</summary>
    protected virtual void ProcessInNamespace() { }

    private static readonly string?[] CurrentOnly = [null];
    /// <summary>The names as given, empty ones meaning the current namespace, each namespace once (by identity).</summary>
    private static string?[] Distinct(string[]? names)
    {
        // One name, the common case of a piped object's own namespace: no list and no comparison per pipeline item.
        if (names is not { Length: > 0 })
            return CurrentOnly;
        if (names.Length == 1)
            return string.IsNullOrEmpty(names[0]) ? CurrentOnly : [names[0]];
        var result = new List<string?>();
        foreach (var n in names)
        {
            var name = string.IsNullOrEmpty(n) ? null : n;
            if (!result.Exists(r => Core.NetNamespace.Same(r, name)))
                result.Add(name);
        }
        return [.. result];
    }

    /// <summary>Makes the kernel calls that follow act in the namespace <paramref name="name"/> (a cmdlet that
    /// gathers work in its pipeline and sends it at the end, per namespace).</summary>
    protected void ActInNamespace(string? name)
    {
        _object = default;
        _pass = string.IsNullOrEmpty(name) ? null : name;
    }

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
        if (RemoteObjectGuardAttribute.IsDeserialized(target, out var computer))
        {
            if (_firstPass)
                WriteItemError(new ErrorRecord(new ArgumentException(
                        $"{what} is a deserialized copy" + (computer.Length > 0 ? $" read on '{computer}'" : "") +
                        " (from PowerShell remoting, a job or Import-Clixml): it acts only where it was read. " +
                        (computer.Length > 0
                            ? $"Run the command there: Invoke-Command -HostName {computer} {{ ... }}."
                            : "Read it again with the Get- cmdlet on the machine it belongs to.")),
                    "DeserializedObject", ErrorCategory.InvalidArgument, target));
            return false;
        }
        if (_namespaceOnCommandLine)
        {
            if (!Array.Exists(_commandLineNamespaces, n => Core.NetNamespace.Same(n, objectNamespace)))
            {
                if (_firstPass)
                    WriteItemError(new ErrorRecord(new ArgumentException(
                            $"{what} comes from {Describe(objectNamespace)}, but -NetNamespace names {Describe(_commandLineNamespaces)}. " +
                            "An object acts where it came from: leave out -NetNamespace, or name the object's namespace."),
                        "NetNamespaceMismatch", ErrorCategory.InvalidArgument, target));
                return false;
            }
            // The object acts once: in the pass of its own namespace.
            if (!Core.NetNamespace.Same(_pass, objectNamespace))
                return false;
        }
        else if (!_firstPass)
            return false;
        _object = (string.IsNullOrEmpty(objectNamespace) ? null : objectNamespace, true);
        return true;
    }

    /// <summary>Writes the error of an item <see cref="ActIn"/> refused; a cmdlet whose results come later, in input order, queues it.</summary>
    protected virtual void WriteItemError(ErrorRecord record) => WriteError(record);

    /// <summary>Makes the kernel calls that follow act in the namespace -NetNamespace names (no object involved).</summary>
    protected void ActInParameterNamespace() => _object = default;

    private static string Describe(string? ns) =>
        string.IsNullOrEmpty(ns) ? "the current network namespace" : $"network namespace '{ns}'";

    private static string Describe(string?[] names) =>
        names.Length == 1 ? Describe(names[0]) : "network namespaces " + string.Join(", ", names.Select(n => n is null ? "(current)" : $"'{n}'"));

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
            WriteLvsError(e, ItemNamespace);
        }
        catch (Exception e)
        {
            ThrowLvsError(e, ItemNamespace);
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

    /// <summary>
    /// A sysctl.d file applies to the host's own namespace: -Persist (<paramref name="persist"/>) with a namespace is
    /// refused (Set-Sysctl, Set-IpForwarding, Enable-LvsRealServerRole).
    /// </summary>
    /// <exception cref="LvsException">PersistInNetNamespace.</exception>
    protected void CheckPersistScope(bool persist)
    {
        if (persist && !string.IsNullOrEmpty(ItemNamespace))
            throw LvsException.Invalid("PersistInNetNamespace",
                "-Persist writes a host-wide sysctl.d file; it cannot be combined with -NetNamespace.", ItemNamespace);
    }

    /// <summary>" (netns X)" naming the namespace the current item acts in, for messages and -WhatIf; or "".</summary>
    protected string Where => string.IsNullOrEmpty(ItemNamespace) ? "" : $" (netns {ItemNamespace})";
}
