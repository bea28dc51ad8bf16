/* SPDX-License-Identifier: MIT */
/*
 * The PowerShell agent (providers/exchange/agent.ps1), compiled into excert
 * at build time: embed.cmake turns the file into agent_script.c in the
 * build directory, byte for byte, whenever agent.ps1 changes.  The
 * protocol it speaks is docs/agent-protocol.md; agent_request.h composes
 * what excert sends to a server from it.
 */
#ifndef XC_PROVIDERS_EXCHANGE_AGENT_SCRIPT_H
#define XC_PROVIDERS_EXCHANGE_AGENT_SCRIPT_H

/* The script's bytes (ASCII, LF line ends), followed by a NUL that is not
 * counted in xc_agent_script_len.  Static storage. */
extern const char xc_agent_script[];
extern const unsigned long xc_agent_script_len;

#endif
