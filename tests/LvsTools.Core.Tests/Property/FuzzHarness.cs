using System.Diagnostics;
using CsCheck;

namespace LvsTools.Core.Tests.Property;

/// <summary>What one fuzz target did: inputs tried, seconds taken, and the first failure (null: none).</summary>
public sealed record FuzzResult(string Name, long Inputs, double Seconds, string? Failure);

/// <summary>
/// A parser under fuzz: a CsCheck generator of inputs and the call that feeds one input to the parser. The contract
/// checked is the module's: a parser may refuse an input only with its own error (<see cref="LvsException"/> and
/// subclasses such as NetlinkProtocolException); any other exception, or an input that takes longer than
/// <see cref="FuzzHarness.HangLimit"/>, is a failure.
/// </summary>
public abstract class FuzzTarget(string name)
{
    public string Name { get; } = name;

    public override string ToString() => Name;

    /// <summary>Runs inputs number <paramref name="first"/> to <paramref name="first"/>+<paramref name="count"/>-1; null or the first failure.</summary>
    internal abstract string? Run(long first, long count, ulong seed, uint stream, CancellationToken stop);

    public static FuzzTarget Create<T>(string name, Gen<T> gen, Action<T> parse, Func<T, string>? print = null) =>
        new Typed<T>(name, gen, parse, print, ownErrorsAllowed: true);

    /// <summary>A property that must hold for every input: any exception, the module's own included, is a failure.</summary>
    public static FuzzTarget Property<T>(string name, Gen<T> gen, Action<T> property, Func<T, string>? print = null) =>
        new Typed<T>(name, gen, property, print, ownErrorsAllowed: false);

    private sealed class Typed<T>(string name, Gen<T> gen, Action<T> parse, Func<T, string>? print, bool ownErrorsAllowed) : FuzzTarget(name)
    {
        internal override string? Run(long first, long count, ulong seed, uint stream, CancellationToken stop)
        {
            for (long i = first; i < first + count && !stop.IsCancellationRequested; i++)
            {
                // Each input comes from its own PCG (stream, seed + i): the run is the same on every machine and in any
                // order, and a failing input can be regenerated (and shrunk by CsCheck) from its seed alone.
                var pcg = new PCG(stream, seed + (ulong)i);
                var input = gen.Generate(pcg, null, out _);
                if (Check(input) is { } error)
                    return Describe(new PCG(stream, seed + (ulong)i).ToString(), input, error);
            }
            return null;
        }

        private string? Check(T input)
        {
            try
            {
                parse(input);
                return null;
            }
            catch (Exception e) when (ownErrorsAllowed && KernelErrors.ToLvsException(e) is not null)
            {
                return null;
            }
            catch (Exception e)
            {
                // The type and message identify the failure (CsCheck shrinks towards the same one); the top frame says where.
                return $"{e.GetType().FullName}: {e.Message}" + (Where(e) is { } at ? $" ({at})" : "");
            }
        }

        private static string? Where(Exception e) =>
            e.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("LvsTools.", StringComparison.Ordinal) && !l.Contains(".Tests.", StringComparison.Ordinal));

        private string Describe(string seed, T input, string error)
        {
            // Let CsCheck shrink from the failing seed to a smaller input that fails the same way.
            string shrunk = Print(input);
            try
            {
                gen.Sample(x =>
                {
                    if (Check(x) is { } e)
                        throw new InvalidOperationException(e);
                }, seed: seed, iter: 2000, threads: 1, print: Print);
            }
            catch (CsCheckException e)
            {
                shrunk = e.Message.Length > 2000 ? e.Message[..2000] + " …" : e.Message;
            }
            return $"{error}\n  seed {seed}, input {Clip(Print(input))}\n  CsCheck: {shrunk}";
        }

        private string Print(T value) => print is not null ? print(value) : value switch
        {
            byte[] b => Convert.ToHexString(b),
            string s => System.Text.Json.JsonSerializer.Serialize(s),
            _ => CsCheck.Check.Print(value),
        };

        private static string Clip(string s) => s.Length > 400 ? s[..400] + $"… ({s.Length} characters)" : s;
    }
}

/// <summary>
/// Runs fuzz targets. CI uses a fixed seed and a small count; `./build.sh Fuzz` raises the count with the environment
/// variable LVSTOOLS_FUZZ_COUNT (and may change the seed with LVSTOOLS_FUZZ_SEED, a number). With LVSTOOLS_FUZZ_REPORT
/// set to a folder, each target writes its figures there as one JSON file, which the build turns into bench/results/fuzz.md.
/// </summary>
public static class FuzzHarness
{
    /// <summary>The seed CI runs with.</summary>
    public const ulong FixedSeed = 0x4C56_5354_6F6F_6C73; // "LVSTools"

    /// <summary>No single input may take this long (a hang); generous, since the machine may be busy.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    public static long Count(long ciDefault) =>
        long.TryParse(Environment.GetEnvironmentVariable("LVSTOOLS_FUZZ_COUNT"), out long n) && n > 0 ? n : ciDefault;

    public static ulong Seed =>
        ulong.TryParse(Environment.GetEnvironmentVariable("LVSTOOLS_FUZZ_SEED"), out ulong s) ? s : FixedSeed;

    /// <summary>Runs <paramref name="count"/> inputs on every processor, in chunks, with a watchdog for hangs.</summary>
    public static FuzzResult Run(FuzzTarget target, uint stream, long count)
    {
        ulong seed = Seed;
        int workers = Math.Max(1, Environment.ProcessorCount);
        const long chunk = 256;
        long next = 0, done = 0;
        string? failure = null;
        var progress = new long[workers];
        using var stop = new CancellationTokenSource();
        var sw = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                long first = Interlocked.Add(ref next, chunk) - chunk;
                if (first >= count)
                    break;
                long n = Math.Min(chunk, count - first);
                if (target.Run(first, n, seed, stream, stop.Token) is { } f)
                {
                    Interlocked.CompareExchange(ref failure, f, null);
                    stop.Cancel();
                    break;
                }
                Interlocked.Add(ref done, n);
                Volatile.Write(ref progress[w], Stopwatch.GetTimestamp());
            }
        }) { IsBackground = true, Name = $"fuzz {target.Name} {w}" }).ToList();
        foreach (var t in threads)
        {
            progress[threads.IndexOf(t)] = Stopwatch.GetTimestamp();
            t.Start();
        }
        // The watchdog: a chunk of 256 inputs that makes no progress for HangLimit x 256 / 16 is a hang somewhere in it.
        var limit = TimeSpan.FromTicks(HangLimit.Ticks * 16);
        // One look per round: a worker that ends between two looks (Any, then First) must not make First throw.
        while (threads.Find(t => t.IsAlive) is { } alive)
        {
            alive.Join(200);
            long now = Stopwatch.GetTimestamp();
            for (int w = 0; w < workers; w++)
            {
                if (threads[w].IsAlive && Stopwatch.GetElapsedTime(Volatile.Read(ref progress[w]), now) > limit)
                {
                    failure ??= $"hang: a chunk of {chunk} inputs made no progress for {limit.TotalSeconds:0} s (seed {seed}, stream {stream})";
                    stop.Cancel();
                    sw.Stop();
                    return Report(new FuzzResult(target.Name, Interlocked.Read(ref done), sw.Elapsed.TotalSeconds, failure));
                }
            }
        }
        sw.Stop();
        return Report(new FuzzResult(target.Name, Interlocked.Read(ref done), sw.Elapsed.TotalSeconds, failure));
    }

    private static FuzzResult Report(FuzzResult result)
    {
        if (Environment.GetEnvironmentVariable("LVSTOOLS_FUZZ_REPORT") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, result.Name + ".json"), System.Text.Json.JsonSerializer.Serialize(result));
        }
        return result;
    }
}
