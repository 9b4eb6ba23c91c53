#!/usr/bin/env bash
# The project's entry point to the User-mode Linux harness (CI, build.ps1 and the docs call it here). The harness
# itself ships in the module, beside Invoke-LvsLab: src/LvsTools/uml/ (laid out as out/LvsTools/uml/). See README.md.
exec bash "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../../src/LvsTools/uml/uml-run.sh" "$@"
