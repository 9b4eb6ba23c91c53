namespace LvsTools.Core.Tests.Property;

/// <summary>
/// Random and structured-random input into every parser (<see cref="FuzzTargets"/>): nothing escapes but the module's own
/// errors, and nothing hangs. CI runs <see cref="CiInputs"/> inputs per parser from a fixed seed (the same inputs every
/// run); `./build.sh Fuzz` runs a million or more per parser (LVSTOOLS_FUZZ_COUNT).
/// </summary>
public class ParserFuzzTests
{
    /// <summary>Inputs per parser in CI: the whole suite stays within a few seconds on two busy cores.</summary>
    public const long CiInputs = 3000;

    public static TheoryData<string> Targets() => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Parser_refuses_hostile_input_only_with_its_own_errors(string target)
    {
        int index = FuzzTargets.All.ToList().FindIndex(t => t.Name == target);
        var result = FuzzHarness.Run(FuzzTargets.All[index], stream: (uint)index + 1, FuzzHarness.Count(CiInputs));
        Assert.True(result.Failure is null, $"{target}: {result.Failure}");
        Assert.Equal(FuzzHarness.Count(CiInputs), result.Inputs);
    }

    [Fact]
    public void Every_target_has_a_distinct_name()
    {
        Assert.Equal(FuzzTargets.All.Count, FuzzTargets.All.Select(t => t.Name).Distinct().Count());
    }
}
