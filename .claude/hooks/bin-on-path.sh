#!/bin/sh
# SessionStart hook of this repository (.claude/settings.json): puts the pack's bin/ first on the
# PATH of Claude's Bash commands, through the file Claude Code runs before each of them
# ($CLAUDE_ENV_FILE), as Claude Code does itself for an installed plugin's bin/. The slash
# commands' bare `torch2ms` then runs bin/torch2ms here too. Prints nothing.
[ -n "${CLAUDE_ENV_FILE:-}" ] || exit 0
bin=$(CDPATH= cd -- "$(dirname -- "$0")/../../bin" && pwd -P) || exit 0
quoted=$(printf '%s' "$bin" | sed "s/'/'\\\\''/g")
line="export PATH='$quoted':\"\$PATH\""
grep -qxF -- "$line" "$CLAUDE_ENV_FILE" 2>/dev/null || printf '%s\n' "$line" >> "$CLAUDE_ENV_FILE"
exit 0
