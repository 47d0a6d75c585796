# Generates C++ (protobuf + gRPC) for the Envoy services Tollgate speaks, from the real Envoy API
# files shipped in the pinned npm package @grpc/grpc-js-xds (deps/ folder, installed by
# scripts/setup.sh). Exactly the import closure of the service files is compiled; the closure is
# computed at configure time with protoc itself, so nothing is listed or copied by hand.
#
# Defines the static library `envoy_protos` (PUBLIC include dir = generated folder).

set(TOLLGATE_ENVOY_DEPS "${CMAKE_SOURCE_DIR}/node_modules/@grpc/grpc-js-xds/deps"
    CACHE PATH "deps/ folder of the @grpc/grpc-js-xds npm package")
if(NOT EXISTS "${TOLLGATE_ENVOY_DEPS}/envoy-api/envoy/service/auth/v3/external_auth.proto")
  message(FATAL_ERROR "Envoy protos not found in ${TOLLGATE_ENVOY_DEPS}: run scripts/setup.sh "
                      "(it runs `npm ci`) or set TOLLGATE_ENVOY_DEPS.")
endif()

find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
get_target_property(_grpc_cpp_plugin gRPC::grpc_cpp_plugin LOCATION)

set(_roots
    envoy/service/auth/v3/external_auth.proto
    envoy/service/ratelimit/v3/rls.proto
    envoy/service/accesslog/v3/als.proto
    envoy/service/rate_limit_quota/v3/rlqs.proto)
set(_services ${_roots})
set(_inc
    -I${TOLLGATE_ENVOY_DEPS}/envoy-api -I${TOLLGATE_ENVOY_DEPS}/xds
    -I${TOLLGATE_ENVOY_DEPS}/protoc-gen-validate -I${TOLLGATE_ENVOY_DEPS}/googleapis
    -I/usr/include)

# The import closure, as protoc resolves it.
set(_ds "${CMAKE_BINARY_DIR}/envoy_closure.pb")
execute_process(
  COMMAND ${Protobuf_PROTOC_EXECUTABLE} ${_inc} --include_imports --descriptor_set_out=${_ds} ${_roots}
  RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "protoc could not resolve the Envoy protos: ${_err}")
endif()
execute_process(
  COMMAND ${Protobuf_PROTOC_EXECUTABLE} --decode=google.protobuf.FileDescriptorSet -I/usr/include
          google/protobuf/descriptor.proto
  INPUT_FILE ${_ds} OUTPUT_VARIABLE _decoded RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "protoc could not decode the descriptor set")
endif()
string(REGEX MATCHALL "\n  name: \"[^\"]+\"" _names "${_decoded}")
set(_closure)
foreach(_n IN LISTS _names)
  string(REGEX REPLACE "\n  name: \"([^\"]+)\"" "\\1" _f "${_n}")
  # Well-known types come with libprotobuf.
  if(NOT _f MATCHES "^google/protobuf/")
    list(APPEND _closure ${_f})
  endif()
endforeach()
list(LENGTH _closure _count)
message(STATUS "Envoy protos: ${_count} files in the closure")

set(_out "${CMAKE_BINARY_DIR}/gen")
file(MAKE_DIRECTORY ${_out})
set(_srcs)
foreach(_f IN LISTS _closure)
  string(REGEX REPLACE "\\.proto$" "" _stem "${_f}")
  set(_gen "${_out}/${_stem}.pb.cc" "${_out}/${_stem}.pb.h")
  set(_args --cpp_out=${_out})
  list(FIND _services ${_f} _is_service)
  if(_is_service GREATER -1)
    list(APPEND _gen "${_out}/${_stem}.grpc.pb.cc" "${_out}/${_stem}.grpc.pb.h")
    list(APPEND _args --grpc_out=${_out} --plugin=protoc-gen-grpc=${_grpc_cpp_plugin})
  endif()
  # Locate the source file to track it as a dependency.
  set(_src "")
  foreach(_d envoy-api xds protoc-gen-validate googleapis)
    if(EXISTS "${TOLLGATE_ENVOY_DEPS}/${_d}/${_f}")
      set(_src "${TOLLGATE_ENVOY_DEPS}/${_d}/${_f}")
      break()
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${_gen}
    COMMAND ${Protobuf_PROTOC_EXECUTABLE} ${_inc} ${_args} ${_f}
    DEPENDS ${_src}
    COMMENT "protoc ${_f}"
    VERBATIM)
  list(APPEND _srcs ${_gen})
endforeach()

add_library(envoy_protos STATIC ${_srcs})
target_include_directories(envoy_protos SYSTEM PUBLIC ${_out})
target_link_libraries(envoy_protos PUBLIC protobuf::libprotobuf gRPC::grpc++)
# Generated code is not ours to make warning-free.
target_compile_options(envoy_protos PRIVATE -w)
