using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace LvsTools.Internal;

/// <summary>
/// Objects that crossed a PowerShell remoting boundary (Invoke-Command, Receive-Job, Import-Clixml) arrive as property
/// bags named "Deserialized.LvsTools.X". The format views turn them back into their record, read-only and for display
/// only, so that remote output reads like local output; cmdlets that change the kernel never take them (see
/// <see cref="RemoteObjectGuardAttribute"/>): an object acts where it came from, and that is another machine.
/// </summary>
public static class Remote
{
    private const string Prefix = "Deserialized.";

    // A view calls Local once per column of a row: each copy is rebuilt once, for as long as it lives.
    private static readonly ConditionalWeakTable<PSObject, object> Rebuilt = new();

    /// <summary>The typed object behind <paramref name="value"/>: the object itself, or a deserialized LvsTools object
    /// rebuilt as its record. Anything else is returned as it is.</summary>
    public static object? Local(object? value)
    {
        if (value is not PSObject p)
            return value;
        if (p.BaseObject is not PSCustomObject)
            return p.BaseObject;
        if (Rebuilt.TryGetValue(p, out var known))
            return known;
        if (TypeOf(p) is not { } type || Rebuild(p, type) is not { } local)
            return value;
        Rebuilt.AddOrUpdate(p, local);
        return local;
    }

    /// <summary>The LvsTools type a deserialized object stood for, or null.</summary>
    public static Type? TypeOf(PSObject value)
    {
        foreach (var name in value.TypeNames)
        {
            if (!name.StartsWith(Prefix + "LvsTools.", StringComparison.Ordinal))
                continue;
            var typeName = name[Prefix.Length..];
            return typeof(LvsService).Assembly.GetType(typeName) ?? typeof(Remote).Assembly.GetType(typeName);
        }
        return null;
    }

    /// <summary>Where a deserialized object was read: its PSComputerName, or null.</summary>
    public static string? ComputerOf(PSObject value) => value.Properties["PSComputerName"]?.Value as string;

    private static object? Convert(object? value, Type type)
    {
        if (value is null)
            return null;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        var raw = value is PSObject p ? p.BaseObject : value;
        if (target.IsInstanceOfType(raw))
            return raw;
        if (value is PSObject bag && raw is PSCustomObject && !target.IsEnum && target != typeof(string))
            return Rebuild(bag, target);
        if (target != typeof(string) && raw is IEnumerable items && ElementOf(target) is { } element)
        {
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            foreach (var item in items)
                list.Add(Convert(item, element));
            if (target.IsArray)
            {
                var array = Array.CreateInstance(element, list.Count);
                list.CopyTo(array, 0);
                return array;
            }
            return list;
        }
        return LanguagePrimitives.ConvertTo(raw, target);
    }

    private static Type? ElementOf(Type type)
    {
        if (type.IsArray)
            return type.GetElementType();
        if (type.IsGenericType && type.GetGenericArguments() is [var e] && typeof(IEnumerable).IsAssignableFrom(type))
            return e;
        return null;
    }

    // A record is built without its constructor and given the properties the bag carries; what the bag lacks (beyond
    // the serialization depth, or added in a later version) keeps its default.
    private static object? Rebuild(PSObject bag, Type type)
    {
        if (type.IsAbstract || type.IsInterface)
            return bag;
        var result = type.GetConstructor(Type.EmptyTypes) is { } ctor ? ctor.Invoke(null) : RuntimeHelpers.GetUninitializedObject(type);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is null || property.GetIndexParameters().Length > 0 || bag.Properties[property.Name] is not { } source)
                continue;
            try
            {
                property.SetValue(result, Convert(source.Value, property.PropertyType));
            }
            catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or FormatException or ArgumentException
                                          or TargetInvocationException)
            {
                // A member that does not convert back stays at its default: the view shows less, never wrong.
            }
        }
        return result;
    }
}
