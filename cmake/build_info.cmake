# build-info.json in the build folder, beside bin/: the C compiler that built
# the programs, its version and the flags of this build, which run_all.sh
# copies into each run's meta.json.  Written when CMake configures, and only
# then: a change of compiler or flags configures again.  Included from the
# top CMakeLists.txt once its compile options are set.

# OUT = VALUE as a JSON string.
function(conclab_json_string out value)
  string(REPLACE "\\" "\\\\" value "${value}")
  string(REPLACE "\"" "\\\"" value "${value}")
  string(REPLACE "\n" "\\n" value "${value}")
  set(${out} "\"${value}\"" PARENT_SCOPE)
endfunction()

# The flags every C file of the build gets: CMake's for the build type, the
# language standard, then this project's options and definitions.
function(conclab_c_flags out)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" type)
  if(CMAKE_C_EXTENSIONS)
    set(standard ${CMAKE_C${CMAKE_C_STANDARD}_EXTENSION_COMPILE_OPTION})
  else()
    set(standard ${CMAKE_C${CMAKE_C_STANDARD}_STANDARD_COMPILE_OPTION})
  endif()
  get_directory_property(options COMPILE_OPTIONS)
  get_directory_property(definitions COMPILE_DEFINITIONS)
  list(TRANSFORM definitions PREPEND "-D")
  string(JOIN " " flags ${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${type}} ${standard} ${options}
         ${definitions})
  string(REGEX REPLACE "  +" " " flags "${flags}")
  string(STRIP "${flags}" flags)
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${CMAKE_C_COMPILER} --version OUTPUT_VARIABLE banner ERROR_QUIET
                RESULT_VARIABLE status)
string(REGEX MATCH "^[^\n]*" banner "${banner}")
if(NOT status EQUAL 0 OR banner STREQUAL "")
  set(banner "${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
endif()
conclab_c_flags(flags)
foreach(field IN ITEMS CMAKE_C_COMPILER CMAKE_C_COMPILER_ID CMAKE_C_COMPILER_VERSION banner flags
        CMAKE_BUILD_TYPE CONCLAB_SANITIZE)
  conclab_json_string(json_${field} "${${field}}")
endforeach()
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/build-info.json @ONLY CONTENT [[
{
  "path": @json_CMAKE_C_COMPILER@,
  "id": @json_CMAKE_C_COMPILER_ID@,
  "version": @json_CMAKE_C_COMPILER_VERSION@,
  "banner": @json_banner@,
  "flags": @json_flags@,
  "build_type": @json_CMAKE_BUILD_TYPE@,
  "sanitize": @json_CONCLAB_SANITIZE@
}
]])
