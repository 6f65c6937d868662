# The QR code of a two-factor secret's otpauth:// URI (ui/view-account.js), at configure time: Debian's
# node-qrcode-generator (kazuhikoarase's qrcode-generator, MIT, one dependency-free file) made an ES module as
# ${UI_GEN_DIR}/qrcode.js and embedded with ui/ (cmake/embed_ui.cmake). Without the package (scripts/install-deps
# installs it) the page shows the key and the link only.
set(qrcode_source /usr/share/nodejs/qrcode-generator/qrcode.js)
file(MAKE_DIRECTORY ${UI_GEN_DIR})
if(EXISTS ${qrcode_source})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${qrcode_source})
  file(READ ${qrcode_source} qrcode_text)
  file(WRITE ${CMAKE_BINARY_DIR}/qrcode.js.new
       "// Generated from ${qrcode_source} (MIT) by cmake/qrcode.cmake: do not edit.\n${qrcode_text}\nexport default qrcode;\n")
  configure_file(${CMAKE_BINARY_DIR}/qrcode.js.new ${UI_GEN_DIR}/qrcode.js COPYONLY)
else()
  file(REMOVE ${UI_GEN_DIR}/qrcode.js)
  message(WARNING "node-qrcode-generator is not installed: the account page shows no QR code (scripts/install-deps run)")
endif()
