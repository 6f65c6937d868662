# Provider logos for the web UI, at configure time: for each line of
# tools/icons/logos.txt ("TYPE slug", or "TYPE -" for none), the simple-icons
# SVG <slug>.svg is copied unchanged to ${UI_GEN_DIR}/logo-<slug>.svg, and
# ${UI_GEN_DIR}/logos.js maps each type to its slug (or null). Both are
# embedded with ui/ (cmake/embed_ui.cmake). simple-icons (CC0-1.0) comes from
# npm: `npm ci` in tools/icons, which scripts/install-deps runs.
set(logo_table ${CMAKE_SOURCE_DIR}/tools/icons/logos.txt)
set(simple_icons ${CMAKE_SOURCE_DIR}/tools/icons/node_modules/simple-icons)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${logo_table})
if(NOT EXISTS ${simple_icons}/icons)
  message(FATAL_ERROR "The provider logos come from the simple-icons npm package, which is not installed: "
                      "run scripts/install-deps (or: cd tools/icons && npm ci)")
endif()
file(MAKE_DIRECTORY ${UI_GEN_DIR})
file(GLOB old_logos ${UI_GEN_DIR}/logo-*.svg)
if(old_logos)
  file(REMOVE ${old_logos})
endif()
file(STRINGS ${logo_table} logo_lines REGEX "^[A-Z]")
set(logo_map "")
foreach(line ${logo_lines})
  if(NOT line MATCHES "^([A-Z0-9_]+)[ \t]+([a-z0-9]+|-)[ \t]*$")
    message(FATAL_ERROR "tools/icons/logos.txt: \"${line}\" is not a type and a slug (or -)")
  endif()
  set(type ${CMAKE_MATCH_1})
  set(slug ${CMAKE_MATCH_2})
  if(slug STREQUAL "-")
    string(APPEND logo_map "  ${type}: null,\n")
    continue()
  endif()
  if(NOT EXISTS ${simple_icons}/icons/${slug}.svg)
    message(FATAL_ERROR "tools/icons/logos.txt: simple-icons has no icon \"${slug}\" (for ${type})")
  endif()
  configure_file(${simple_icons}/icons/${slug}.svg ${UI_GEN_DIR}/logo-${slug}.svg COPYONLY)
  string(APPEND logo_map "  ${type}: '${slug}',\n")
endforeach()
file(READ ${simple_icons}/package.json simple_icons_package)
string(JSON simple_icons_version GET "${simple_icons_package}" version)
file(CONFIGURE OUTPUT ${UI_GEN_DIR}/logos.js CONTENT
     "// Generated from tools/icons/logos.txt by cmake/provider_logos.cmake: do not edit.
// Each integration type's logo, /ui/logo-<slug>.svg from simple-icons ${simple_icons_version}
// (CC0-1.0), or null where it has none (the UI shows a neutral mark).
export const LOGOS = {
${logo_map}};
" @ONLY)
