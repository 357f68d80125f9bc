# Script mode (cmake -DCONFIG=RxC:aAwW -P check_core_config.cmake): runs the configure-time
# check of one configuration, for the tests that show impossible ones are refused.
include(${CMAKE_CURRENT_LIST_DIR}/SaCore.cmake)
if(NOT CONFIG MATCHES "^([0-9]+)x([0-9]+):a([0-9]+)w([0-9]+)(:p([0-9]+))?$")
  message(FATAL_ERROR "CONFIG '${CONFIG}' is not RxC:aAwW[:pP]")
endif()
set(psum 24)
if(CMAKE_MATCH_6)
  set(psum ${CMAKE_MATCH_6})
endif()
sa_check_core_config("${CONFIG}" ${CMAKE_MATCH_1} ${CMAKE_MATCH_2} ${CMAKE_MATCH_3}
                     ${CMAKE_MATCH_4} ${psum} 1024)
message(STATUS "${CONFIG}: accepted")
