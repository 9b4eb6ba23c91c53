using System.Text;

namespace LvsTools.Core.Config;

/// <summary>
/// Reads documents and rule files with a bound: a configuration document or a rules input of at most
/// <see cref="MaxInputBytes"/> (64 MiB), a rule line of at most <see cref="MaxRuleLineLength"/> characters. Past the bound
/// reading stops at once with InputTooLarge (or IpvsadmRuleLineTooLong), so `/dev/zero`, a FIFO or an endless file cost
/// at most the bound in memory. 64 MiB holds a table of about 300,000 real servers, far more than a kernel serves.
/// </summary>
public static class BoundedInput
{
    /// <summary>The largest configuration document or rules input read (64 MiB, in bytes or characters).</summary>
    public const long MaxInputBytes = 64L * 1024 * 1024;

    /// <summary>The longest rule line read (ipvsadm's own lines are under 300 characters).</summary>
    public const int MaxRuleLineLength = 64 * 1024;

    /// <summary>
    /// Opens a file for reading with errors that say what is wrong: a directory, a missing file or folder, no permission.
    /// </summary>
    /// <param name="path">A file-system path.</param>
    /// <param name="shownAs">The path as the user gave it (named in messages beside the full path).</param>
    /// <param name="notFoundId">The error id for a missing file ("LvsConfigurationFileNotFound").</param>
    /// <exception cref="LvsException">NotFound (notFoundId), InvalidArgument PathIsDirectory, PermissionDenied FileAccessDenied.</exception>
    public static FileStream Open(string path, string shownAs, string notFoundId)
    {
        if (Directory.Exists(path))
            throw LvsException.Invalid("PathIsDirectory", $"'{path}' is a directory, not a file: give the path of a file.", shownAs);
        if (!File.Exists(path))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            string why = dir is not null && !Directory.Exists(dir) ? $"its folder '{dir}' does not exist" : "it does not exist";
            throw new LvsException(LvsErrorKind.NotFound, notFoundId, $"Cannot read '{path}': {why}.", shownAs);
        }
        try
        {
            // bufferSize 0: no FileStream buffer (the readers below have their own); FIFOs and devices open as well.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new LvsException(LvsErrorKind.PermissionDenied, "FileAccessDenied",
                $"Cannot read '{path}': permission denied (check the file's mode and owner, or run as a user who may read it).", shownAs, e);
        }
        catch (IOException e)
        {
            throw new LvsException(LvsErrorKind.OperationFailed, "FileReadFailed", $"Cannot read '{path}': {e.Message}", shownAs, e);
        }
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes of a file; more is InputTooLarge, and the rest is not read.</summary>
    public static byte[] ReadAllBytes(string path, string shownAs, string notFoundId, long limit = MaxInputBytes)
    {
        using var fs = Open(path, shownAs, notFoundId);
        try
        {
            if (fs.CanSeek && fs.Length > limit)
                throw TooLarge($"'{path}'", shownAs, limit);
            if (fs.CanSeek && ReadExactly(fs) is { } whole)
                return whole;
            return ReadAllBytes(fs, $"'{path}'", shownAs, limit);
        }
        catch (IOException e)
        {
            throw new LvsException(LvsErrorKind.OperationFailed, "FileReadFailed", $"Cannot read '{path}': {e.Message}", shownAs, e);
        }
    }

    /// <summary>
    /// A regular file read into one array of its length (no growing buffer, no second copy), or null with the stream back
    /// at its start when the file is not as long as it said (a /proc file says 0, a file written meanwhile changes).
    /// </summary>
    private static byte[]? ReadExactly(FileStream fs)
    {
        var bytes = new byte[fs.Length];
        int got = 0, n;
        while (got < bytes.Length && (n = fs.Read(bytes, got, bytes.Length - got)) > 0)
            got += n;
        if (got == bytes.Length && fs.ReadByte() < 0)
            return bytes;
        fs.Position = 0;
        return null;
    }

    /// <summary>Reads a stream to its end, or fails with InputTooLarge after <paramref name="limit"/> bytes.</summary>
    public static byte[] ReadAllBytes(Stream stream, string name, object? shownAs, long limit = MaxInputBytes)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (ms.Length + n > limit)
                throw TooLarge(name, shownAs, limit);
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// The lines of a file (UTF-8, "\n" or "\r\n"), read as they are consumed: at most <paramref name="limit"/> bytes in
    /// all and <paramref name="maxLine"/> characters per line, else InputTooLarge / IpvsadmRuleLineTooLong.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path, string shownAs, string notFoundId,
        long limit = MaxInputBytes, int maxLine = MaxRuleLineLength)
    {
        var fs = Open(path, shownAs, notFoundId);
        return Lines(fs, path, shownAs, limit, maxLine);
    }

    private static IEnumerable<string> Lines(FileStream fs, string path, string shownAs, long limit, int maxLine)
    {
        using (fs)
        {
            using var reader = new StreamReader(new LimitedStream(fs, limit, path, shownAs), new UTF8Encoding(false), true, 65536);
            var line = new StringBuilder();
            var chars = new char[65536];
            int number = 1, n;
            while ((n = Read(reader, chars, path, shownAs)) > 0)
            {
                int start = 0;
                while (start < n)
                {
                    int nl = Array.IndexOf(chars, '\n', start, n - start);
                    int end = nl < 0 ? n : nl;
                    if (line.Length + (end - start) > maxLine)
                        throw LineTooLong(path, number, maxLine);
                    line.Append(chars, start, end - start);
                    if (nl < 0)
                        break;
                    yield return TrimCr(line);
                    line.Clear();
                    number++;
                    start = nl + 1;
                }
            }
            if (line.Length > 0)
                yield return TrimCr(line);
        }
    }

    private static int Read(StreamReader reader, char[] chars, string path, string shownAs)
    {
        try
        {
            return reader.Read(chars, 0, chars.Length);
        }
        catch (IOException e)
        {
            throw new LvsException(LvsErrorKind.OperationFailed, "FileReadFailed", $"Cannot read '{path}': {e.Message}", shownAs, e);
        }
    }

    private static string TrimCr(StringBuilder line) =>
        line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();

    /// <summary>InputTooLarge: <paramref name="name"/> holds more than <paramref name="limit"/> bytes (or characters).</summary>
    public static LvsException TooLarge(string name, object? shownAs, long limit) => new(LvsErrorKind.LimitsExceeded, "InputTooLarge",
        $"{name} is larger than {Describe(limit)}, the most LvsTools reads of one document or rules input; nothing was read " +
        "past that point and nothing was changed. Is it the right file (not a device or an endless stream)?", shownAs);

    /// <summary>IpvsadmRuleLineTooLong: line <paramref name="number"/> is longer than <paramref name="maxLine"/> characters.</summary>
    public static LvsException LineTooLong(string name, int number, int maxLine) => new(LvsErrorKind.LimitsExceeded, "IpvsadmRuleLineTooLong",
        $"Line {number} of {name} is longer than {maxLine:N0} characters, which no ipvsadm rule is; nothing past it was read.", number);

    private static string Describe(long bytes) => bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes:N0} bytes";

    /// <summary>A read-only stream that fails with InputTooLarge once more than the limit has been read.</summary>
    private sealed class LimitedStream(Stream inner, long limit, string name, string shownAs) : Stream
    {
        private long _read;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, (int)Math.Min(count, limit + 1 - _read));
            _read += n;
            if (_read > limit)
                throw TooLarge($"'{name}'", shownAs, limit);
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
