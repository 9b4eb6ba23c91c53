using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using LvsTools.Core;
using LvsTools.Core.Route;

namespace LvsTools.Internal;

/// <summary>Completes namespace names from /run/netns.</summary>
internal sealed class NetNamespaceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        const string dir = "/run/netns";
        if (!Directory.Exists(dir))
            return [];
        var prefix = wordToComplete.Trim('\'', '"');
        return Directory.EnumerateFiles(dir).Select(Path.GetFileName).OfType<string>()
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, "network namespace " + n))
            .ToList();
    }
}

/// <summary>Completes interface names, in the namespace named by -NetNamespace when one is bound.</summary>
internal sealed class InterfaceNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var ns = NetNamespace.Resolve(FirstNamespace(fakeBoundParameters));
            using var route = RouteClient.Open(ns);
            var prefix = wordToComplete.Trim('\'', '"');
            return route.GetInterfaces()
                .Where(i => i.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .OrderBy(i => i.Index)
                .Select(i => new CompletionResult(i.Name, i.Name, CompletionResultType.ParameterValue,
                    $"{i.Name}: index {i.Index}, {i.OperationalState}, mtu {i.Mtu}"))
                .ToList();
        }
        catch (Exception)
        {
            return []; // completion must never throw at the prompt
        }
    }

    /// <summary>The first name bound to -NetNamespace so far (one, or the first of several), or null.</summary>
    private static string? FirstNamespace(IDictionary bound) => bound["NetNamespace"] switch
    {
        string s => s,
        IEnumerable e => e.Cast<object?>().FirstOrDefault()?.ToString(),
        _ => null,
    };
}
