# Run with cmake -P: writes INPUT as a hex byte array named SYMBOL into OUTPUT.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# Namespace scope (NAMESPACE, default metricsd::config), so a header can declare the symbol.
if(NOT NAMESPACE)
  set(NAMESPACE metricsd::config)
endif()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT}. Do not edit.\n#include <string_view>\nnamespace ${NAMESPACE} {\nstatic const char kBytes[] = {${bytes} '\\0'};\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL}(kBytes, ${size});\n}  // namespace ${NAMESPACE}\n")
