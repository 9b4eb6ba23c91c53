using System.Management.Automation;

namespace LvsTools.Internal;

/// <summary>Name filtering as Get-Service does it: wildcards match silently, a literal name that matches nothing is an error.</summary>
public static class Filters
{
    public static IEnumerable<T> ByName<T>(IReadOnlyList<T> items, string[]? names, Func<T, string?> nameOf,
        Cmdlet cmdlet, string notFoundId, string what)
    {
        if (names is null || names.Length == 0)
            return items;
        var patterns = names.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            if (!WildcardPattern.ContainsWildcardCharacters(names[i]) && !items.Any(x => patterns[i].IsMatch(nameOf(x) ?? "")))
                cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"Cannot find {what} '{names[i]}'."),
                    notFoundId, ErrorCategory.ObjectNotFound, names[i]));
        }
        return items.Where(x => patterns.Any(p => p.IsMatch(nameOf(x) ?? "")));
    }
}
