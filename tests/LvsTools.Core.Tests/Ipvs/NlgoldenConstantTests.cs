using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace LvsTools.Core.Tests.Ipvs;

/// <summary>
/// Golden/nlgolden.py (the annotator of the captures) keeps its own tables of the IPVS family's commands and
/// attributes. They must name the same constants with the same values as the codec, or the annotations of the
/// golden files lie. The C# side is found by reflection: every const field named IPVS_* anywhere in LvsTools.Core,
/// whatever class holds it.
/// </summary>
public partial class NlgoldenConstantTests
{
    [GeneratedRegex(@"(?<value>0x[0-9A-Fa-f]+|\d+)\s*:\s*""(?<name>IPVS_[A-Z0-9_]+)""")]
    private static partial Regex PythonEntry();

    [GeneratedRegex("^IPVS_[A-Z0-9_]+$")]
    private static partial Regex ConstantName();

    private static string NlgoldenPath()
    {
        // The source tree's copy, found upward from bin/<configuration>/<framework>.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Golden", "nlgolden.py");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "LvsTools.Core.Tests.csproj")))
                return candidate;
        }
        throw new FileNotFoundException("Golden/nlgolden.py was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>name -> value from nlgolden.py's "value: \"IPVS_...\"" table entries.</summary>
    internal static Dictionary<string, long> PythonConstants(string text)
    {
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (Match m in PythonEntry().Matches(text))
        {
            var raw = m.Groups["value"].Value;
            long value = raw.StartsWith("0x", StringComparison.Ordinal)
                ? long.Parse(raw[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : long.Parse(raw, CultureInfo.InvariantCulture);
            var name = m.Groups["name"].Value;
            if (found.TryGetValue(name, out var earlier) && earlier != value)
                throw new InvalidDataException($"nlgolden.py gives {name} two values: {earlier} and {value}");
            found[name] = value;
        }
        return found;
    }

    /// <summary>name -> value of every const field named IPVS_* in LvsTools.Core (enum members included).</summary>
    internal static Dictionary<string, long> CodecConstants()
    {
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in Assembly.Load("LvsTools.Core").GetTypes())
        {
            foreach (var field in type.GetFields(all))
            {
                if (!field.IsLiteral || !ConstantName().IsMatch(field.Name))
                    continue;
                long value = Convert.ToInt64(field.GetRawConstantValue(), CultureInfo.InvariantCulture);
                if (found.TryGetValue(field.Name, out var earlier) && earlier != value)
                    throw new InvalidDataException($"LvsTools.Core gives {field.Name} two values: {earlier} and {value}");
                found[field.Name] = value;
            }
        }
        return found;
    }

    /// <summary>Every way the two tables disagree, one line each; empty when they agree.</summary>
    internal static List<string> Disagreements(Dictionary<string, long> python, Dictionary<string, long> codec)
    {
        var problems = new List<string>();
        foreach (var (name, value) in codec.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!python.TryGetValue(name, out var pv))
                problems.Add($"{name} = {value} in LvsTools.Core is missing from nlgolden.py");
            else if (pv != value)
                problems.Add($"{name} is {value} in LvsTools.Core but {pv} in nlgolden.py");
        }
        // The kernel's *_UNSPEC placeholders (0) are only decoded, never sent: the codec need not name them.
        foreach (var (name, value) in python.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!codec.ContainsKey(name) && !name.EndsWith("_UNSPEC", StringComparison.Ordinal))
                problems.Add($"{name} = {value} in nlgolden.py is missing from LvsTools.Core");
        }
        return problems;
    }

    [Fact]
    public void Nlgolden_and_the_codec_name_the_same_IPVS_constants_with_the_same_values()
    {
        var python = PythonConstants(File.ReadAllText(NlgoldenPath()));
        var codec = CodecConstants();
        Assert.True(python.Count > 0, "nlgolden.py has no IPVS_* table entries (the pattern no longer matches its tables)");
        Assert.True(codec.Count > 0, "LvsTools.Core has no const field named IPVS_*");
        var problems = Disagreements(python, codec);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void A_value_changed_in_nlgolden_or_a_constant_missing_is_named()
    {
        var text = File.ReadAllText(NlgoldenPath());
        var changed = PythonConstants(text.Replace("17: \"IPVS_CMD_FLUSH\"", "18: \"IPVS_CMD_FLUSH\"", StringComparison.Ordinal));
        Assert.Contains("IPVS_CMD_FLUSH is 17 in LvsTools.Core but 18 in nlgolden.py", Disagreements(changed, CodecConstants()));

        var codec = CodecConstants();
        codec.Remove("IPVS_DEST_ATTR_TUN_FLAGS");
        Assert.Contains("IPVS_DEST_ATTR_TUN_FLAGS = 15 in nlgolden.py is missing from LvsTools.Core", Disagreements(PythonConstants(text), codec));
    }
}
