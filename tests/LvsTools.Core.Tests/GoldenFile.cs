using System.Globalization;

namespace LvsTools.Core.Tests;

/// <summary>
/// A captured netlink message (Golden/*.txt): '#' comment lines (the command that produced it first), then hex
/// byte pairs, each line optionally followed by '# annotation'.
/// </summary>
public sealed class GoldenFile
{
    private GoldenFile(string name, string command, byte[] bytes)
    {
        Name = name;
        Command = command;
        Bytes = bytes;
    }

    public string Name { get; }
    public string Command { get; }
    public byte[] Bytes { get; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static bool Exists(string name) => File.Exists(Path.Combine(Directory, name));

    public static GoldenFile Load(string name)
    {
        var bytes = new List<byte>();
        string command = "";
        foreach (var raw in File.ReadLines(Path.Combine(Directory, name)))
        {
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                if (command.Length == 0 && line.StartsWith("# command:", StringComparison.OrdinalIgnoreCase))
                    command = line["# command:".Length..].Trim();
                continue;
            }
            int hash = line.IndexOf('#');
            if (hash >= 0)
                line = line[..hash];
            foreach (var tok in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                bytes.Add(byte.Parse(tok, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
        return new GoldenFile(name, command, bytes.ToArray());
    }

    /// <summary>The payload after the 16-byte nlmsghdr.</summary>
    public ReadOnlySpan<byte> Payload => Bytes.AsSpan(16);

    public LvsTools.Core.Netlink.NetlinkMessageHeader Header => LvsTools.Core.Netlink.NetlinkMessageHeader.Read(Bytes);

    public override string ToString() => $"{Name} ({Command})";
}
