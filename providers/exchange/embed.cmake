# SPDX-License-Identifier: MIT
# Turns the PowerShell agent into C: a byte array and its length.
#   cmake -DINPUT=agent.ps1 -DOUTPUT=agent_script.c -P embed.cmake
# The agent goes to a remote console byte for byte, so it must be ASCII
# (no NUL, nothing above 0x7f, no carriage return); anything else fails the
# build here, before tests/pscheck says why in detail.
if(NOT DEFINED INPUT OR NOT DEFINED OUTPUT)
  message(FATAL_ERROR "usage: cmake -DINPUT=agent.ps1 -DOUTPUT=agent_script.c -P embed.cmake")
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
if(len EQUAL 0)
  message(FATAL_ERROR "${INPUT} is empty")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
if(bytes MATCHES "0x(00|0d|[89a-f].),")
  message(FATAL_ERROR "${INPUT}: the agent must be ASCII with LF line ends (found byte 0x${CMAKE_MATCH_1})")
endif()
# Twelve bytes a line (CMake's regular expressions have no {n}).
string(REPEAT "0x..," 12 line)
string(REGEX REPLACE "(${line})" "\\1\n\t" bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}"
"/* SPDX-License-Identifier: MIT */
/* Generated from ${name} by embed.cmake at build time; do not edit. */
#include \"providers/exchange/agent_script.h\"

const char xc_agent_script[] = {
\t${bytes}
\t0x00,
};
const unsigned long xc_agent_script_len = ${len}ul;
")
