# metricsd_embed_file(OUTPUT <cpp> FILE <path> SYMBOL <name> [NAMESPACE <ns>])
# Generates a .cpp defining `extern const std::string_view <name>` with the file's bytes, so
# the embedded default config is the very file shipped as config/metricsd.yaml.
function(metricsd_embed_file)
  cmake_parse_arguments(ARG "" "OUTPUT;FILE;SYMBOL;NAMESPACE" "" ${ARGN})
  add_custom_command(
    OUTPUT "${ARG_OUTPUT}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${ARG_FILE} -DOUTPUT=${ARG_OUTPUT} -DSYMBOL=${ARG_SYMBOL}
            -DNAMESPACE=${ARG_NAMESPACE}
            -P "${METRICSD_ROOT}/cmake/EmbedFileScript.cmake"
    DEPENDS "${ARG_FILE}" "${METRICSD_ROOT}/cmake/EmbedFileScript.cmake"
    COMMENT "Embedding ${ARG_FILE}")
  # Each generated file is one big array with a fixed local name: compiled alone, never merged
  # into a unity source (nothing to share, and the names would clash).
  set_source_files_properties("${ARG_OUTPUT}" PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
endfunction()
