# Included by ctest after the discovered tests: label every ratelimit_redistest case `redis`.
if(ratelimit_redistest_TESTS)
  set_tests_properties(${ratelimit_redistest_TESTS} PROPERTIES LABELS redis)
endif()
