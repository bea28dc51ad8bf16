# SPDX-License-Identifier: MIT
# The PowerShell agent, embedded into xc_providers at build time (included
# from providers/CMakeLists.txt).  embed.cmake writes agent_script.c in the
# build directory from agent.ps1, again whenever agent.ps1 or embed.cmake
# changes; agent_request.c composes what excert sends to a server.
set(XC_AGENT_PS1 ${CMAKE_CURRENT_SOURCE_DIR}/exchange/agent.ps1)
set(XC_AGENT_EMBED ${CMAKE_CURRENT_SOURCE_DIR}/exchange/embed.cmake)
set(XC_AGENT_C ${CMAKE_BINARY_DIR}/providers/exchange/agent_script.c)
add_custom_command(OUTPUT ${XC_AGENT_C}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${XC_AGENT_PS1} -DOUTPUT=${XC_AGENT_C}
          -P ${XC_AGENT_EMBED}
  DEPENDS ${XC_AGENT_PS1} ${XC_AGENT_EMBED}
  COMMENT "Embedding the PowerShell agent (agent.ps1)"
  VERBATIM)
target_sources(xc_providers PRIVATE ${XC_AGENT_C}
  ${CMAKE_CURRENT_SOURCE_DIR}/exchange/agent_request.c)
