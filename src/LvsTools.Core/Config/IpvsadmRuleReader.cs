using LvsTools.Core.Ipvs;

namespace LvsTools.Core.Config;

/// <summary>
/// Reads `ipvsadm -R` rule lines one at a time into a document, as `ipvsadm -R` would apply them, refusing what ipvsadm
/// refuses (an option given twice, an option the command does not take, a missing -r, -m with -g, a real server of a
/// service never added, trailing words, ...) and what the kernel would refuse. Every bad line is recorded with its number
/// and text; <see cref="ToDocument"/> then fails with all of them, so a bad line means no document, never half of one.
/// Input is bounded: <see cref="BoundedInput.MaxRuleLineLength"/> characters per line, <see cref="BoundedInput.MaxInputBytes"/>
/// characters in all, and reading stops after <see cref="MaxErrors"/> bad lines.
/// Beyond ipvsadm, blank lines, `#` comments and a leading "ipvsadm" word are allowed (a shell script of ipvsadm calls reads).
/// </summary>
public sealed class IpvsadmRuleReader
{
    /// <summary>Bad lines recorded before reading stops.</summary>
    public const int MaxErrors = 20;

    private readonly Dictionary<ServiceKey, IpvsadmRules.RuleService> _services = [];
    private readonly List<LvsException> _errors = [];
    private long _characters;

    /// <summary>The name of the input in messages ("the rules input", "'/etc/ipvsadm.rules'").</summary>
    public string InputName { get; init; } = "the rules input";

    /// <summary>Lines read so far.</summary>
    public int LineCount { get; private set; }

    /// <summary>Bad lines so far.</summary>
    public IReadOnlyList<LvsException> Errors => _errors;

    /// <summary>Reads one line (text with '\n' in it counts as several lines).</summary>
    /// <exception cref="LvsException">InputTooLarge, IpvsadmRuleLineTooLong, or InvalidIpvsadmRule once more than
    /// <see cref="MaxErrors"/> lines were bad.</exception>
    public void Add(string? text)
    {
        text ??= "";
        if (text.Contains('\n'))
        {
            foreach (var part in text.Split('\n'))
                Add(part);
            return;
        }
        {
            string raw = text;
            LineCount++;
            _characters += raw.Length + 1;
            if (_characters > BoundedInput.MaxInputBytes)
                throw BoundedInput.TooLarge(char.ToUpperInvariant(InputName[0]) + InputName[1..], InputName, BoundedInput.MaxInputBytes);
            if (raw.Length > BoundedInput.MaxRuleLineLength)
                throw BoundedInput.LineTooLong(InputName, LineCount, BoundedInput.MaxRuleLineLength);
            int hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw.AsSpan(0, hash) : raw.AsSpan()).Trim().ToString();
            if (line.Length == 0)
                return;
            if (line.StartsWith("ipvsadm ", StringComparison.Ordinal) || line.StartsWith("ipvsadm\t", StringComparison.Ordinal))
                line = line[8..].Trim();
            try
            {
                IpvsadmRules.ApplyRule(line, _services);
            }
            catch (LvsException e) when (e.Kind == LvsErrorKind.InvalidArgument)
            {
                string shown = LvsConfigurationValidator.Show(raw.Trim());
                _errors.Add(new LvsException(e.Kind, "InvalidIpvsadmRule", $"Line {LineCount} ({shown}): {e.Message}", raw, e));
                if (_errors.Count > MaxErrors)
                    throw Failure();
            }
        }
    }

    /// <summary>The document the rules describe (services and real servers only).</summary>
    /// <exception cref="LvsException">InvalidIpvsadmRule listing every bad line, one per line of the message.</exception>
    public LvsConfigurationDocument ToDocument() =>
        _errors.Count > 0 ? throw Failure() : IpvsadmRules.ToDocument(_services);

    private LvsException Failure()
    {
        if (_errors.Count == 1)
            return _errors[0];
        string count = _errors.Count > MaxErrors ? $"more than {MaxErrors}" : _errors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new LvsException(LvsErrorKind.InvalidArgument, "InvalidIpvsadmRule",
            $"{count} lines of {InputName} are not valid ipvsadm rules; no document was made:"
            + string.Concat(_errors.Take(MaxErrors).Select(e => Environment.NewLine + e.Message))
            + (_errors.Count > MaxErrors ? $"{Environment.NewLine}(reading stopped there)" : ""),
            _errors[0].Target, _errors[0]);
    }
}
