#!/bin/sh
# SPDX-License-Identifier: MIT
# Every input check of the agent is anchored with \A and \z: in .NET, '^'
# and '$' also match at a line break ('$' just before a final newline), so
# 'abc\n' passes '^[a-z]+$'.  A regular expression literal of the agent that
# starts with '^' or ends with '$' fails this test.
agent=${1:?usage: run-anchors.sh AGENT.PS1}
hits=$(grep -nE "(match|Match\([^,]*,) *'\^|(match|Match\([^,]*,) *'[^']*\\\$'" "$agent")
if [ -n "$hits" ]; then
    printf '%s\n' "$hits" | sed 's/^/FAIL: not anchored with \\A...\\z: line /' >&2
    echo "agent.anchors: 0 passed, 1 failed"
    exit 1
fi
n=$(grep -cE "match '\\\\A|Match\([^,]*, *'\\\\A" "$agent")
echo "ok: $n checks anchored with \\A...\\z"
echo "agent.anchors: 1 passed, 0 failed"
