#!/usr/bin/env bash
# Entry point on a fresh machine: restores the pinned pwsh (.NET tool) and runs build.ps1 with it.
#   ./build.sh Demo      the demo: virtual IPs, forwarding and an LVS service with real traffic
#   ./build.sh Test      every test (xUnit + Pester, host kernel + User-mode Linux kernel)
#   ./build.sh Build | Package | Bench | Fuzz
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
exec dotnet pwsh -NoLogo -NoProfile -NonInteractive -File ./build.ps1 "$@"
