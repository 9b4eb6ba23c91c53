// Entry point of a lab's server process: `dotnet LvsTools.LabServer.dll STATE_FILE` (see LabServerProcess).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: LvsTools.LabServer STATE_FILE (started by New-LvsLab)");
    return 2;
}
LvsTools.Core.Lab.LabServerHost.Run(args[0]);
return 0;
