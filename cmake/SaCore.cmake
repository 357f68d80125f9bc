# The one description of the DUT on the build side: which RTL files, which top, which parameters,
# which Verilator flags, and the C++ configuration that must match them. Everything that
# Verilates a core (sim/, tests/, bench/) goes through these functions, so a configuration is
# one line and its -G parameters and C++ constants cannot drift apart.

# Reads a Verilog file list (one file per line; blank lines and lines starting with // or #
# ignored; relative paths are relative to the list's folder) into OUT_VAR.
function(sa_read_filelist filelist out_var)
  if(NOT EXISTS "${filelist}")
    message(FATAL_ERROR "RTL file list ${filelist} does not exist (SA_RTL_FILELIST)")
  endif()
  get_filename_component(dir "${filelist}" DIRECTORY)
  file(STRINGS "${filelist}" lines)
  set(files "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "" OR line MATCHES "^(//|#)")
      continue()
    endif()
    if(NOT IS_ABSOLUTE "${line}")
      set(line "${dir}/${line}")
    endif()
    if(NOT EXISTS "${line}")
      message(FATAL_ERROR "${filelist}: listed file ${line} does not exist")
    endif()
    list(APPEND files "${line}")
  endforeach()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${filelist}")
  set(${out_var} "${files}" PARENT_SCOPE)
endfunction()

# The one set of Verilator flags for every model the project builds. --assert: the SVA
# checks of the RTL (FIFO overrun, parameter legality) run in every simulation; they cost a
# few percent of simulation speed.
set(SA_VERILATOR_FLAGS -Wno-fatal --assert -O3 --x-assign fast --x-initial fast)

# C++ flags of the generated model code, for verilate()'s OPT_FAST / OPT_SLOW / OPT_GLOBAL: the
# code that runs once (construction, initial values, trace and coverage declarations) at -O0,
# where its huge straight-line functions compile in seconds and cost no simulation speed. At -O1
# the coverage declarations of the 8 x 8 core took 76 s (3 s at -O0), the trace set-up of the
# 16 x 16 output-stationary core 13 s; at -O3 more.
# SA_MODEL_EXTRA_FLAGS (the sanitizer build: -fno-sanitize=all) go on every model file.
function(sa_model_compile_opts out)
  set(${out} OPT_FAST ${SA_MODEL_EXTRA_FLAGS} OPT_SLOW -O0 ${SA_MODEL_EXTRA_FLAGS}
      OPT_GLOBAL ${SA_MODEL_EXTRA_FLAGS} PARENT_SCOPE)
endfunction()

# Bounds of what the harness can drive (sim/dut_ports.h: kMaxInputWords, kMaxOutputWords).
set(SA_MAX_DIM 64)
set(SA_MAX_INPUT_BITS 512)
set(SA_MAX_OUTPUT_BITS 4096)

# sa_check_core_config(ROWS COLS ACT WGT PSUM ACC DATAFLOW WGT2): refuses, at configure time, a
# configuration the RTL or the harness cannot run.
function(sa_check_core_config what rows cols act wgt psum acc dataflow wgt2)
  set(bad "")
  foreach(pair "ROWS;${rows};1;${SA_MAX_DIM}" "COLS;${cols};1;${SA_MAX_DIM}"
               "ACT_WIDTH;${act};2;8" "WGT_WIDTH;${wgt};2;8" "PSUM_WIDTH;${psum};8;64"
               "ACC_DEPTH;${acc};1;65536")
    list(GET pair 0 name)
    list(GET pair 1 value)
    list(GET pair 2 lo)
    list(GET pair 3 hi)
    if(NOT value MATCHES "^[0-9]+$" OR value LESS lo OR value GREATER hi)
      string(APPEND bad " ${name}=${value} is outside ${lo}..${hi};")
    endif()
  endforeach()
  if(bad STREQUAL "")
    set(lanes ${rows})
    if(wgt2)
      math(EXPR lanes "2 * ${rows}")  # the 2-bit mode takes two activations per row
      if(NOT wgt EQUAL 4 OR NOT dataflow STREQUAL "ws")
        string(APPEND bad " the 2-bit mode needs WGT_WIDTH=4 and the ws dataflow;")
      endif()
    endif()
    if(NOT dataflow MATCHES "^(ws|os)$")
      string(APPEND bad " DATAFLOW=${dataflow} is neither ws nor os;")
    endif()
    math(EXPR in_bits "${lanes} * ${act}")
    math(EXPR w_bits "${cols} * ${wgt}")
    math(EXPR out_bits "${cols} * ${psum}")
    if(in_bits GREATER SA_MAX_INPUT_BITS OR w_bits GREATER SA_MAX_INPUT_BITS)
      string(APPEND bad " ${lanes}x${act}-bit activations or ${cols}x${wgt}-bit weights exceed ${SA_MAX_INPUT_BITS} bits;")
    endif()
    if(out_bits GREATER SA_MAX_OUTPUT_BITS)
      string(APPEND bad " ${cols}x${psum}-bit psums exceed ${SA_MAX_OUTPUT_BITS} bits;")
    endif()
    # The widest sum of one pass must fit: act * wgt over Rows rows, plus a sign bit.
    set(log2 0)
    set(n 1)
    while(n LESS rows)
      math(EXPR n "${n} * 2")
      math(EXPR log2 "${log2} + 1")
    endwhile()
    math(EXPR need "${act} + ${wgt} + ${log2} + 1")
    if(psum LESS need)
      string(APPEND bad " PSUM_WIDTH=${psum} cannot hold one pass's sum (${need} bits);")
    endif()
  endif()
  if(NOT bad STREQUAL "")
    message(FATAL_ERROR "${what}: impossible configuration:${bad}")
  endif()
endfunction()

# The parameters of the DUT contract that every core's top has (docs/dut-contract.md), and the
# optional one: Wgt2Mode, the run-time 2-bit mode.
set(SA_CONTRACT_PARAMS Rows Cols ActWidth WgtWidth PsumWidth AccDepth)
set(SA_OPTIONAL_PARAMS Wgt2Mode)

# sa_public_params_vlt(TOP OUT): writes a Verilator control file that makes the contract's
# parameters of TOP public, so the model's C++ carries their values (V<prefix>_<TOP>::Rows...):
# the harness reads its configuration back from the model it drives, never from a second copy.
function(sa_public_params_vlt top out)
  set(text "`verilator_config\n")
  foreach(p IN LISTS SA_CONTRACT_PARAMS SA_OPTIONAL_PARAMS)
    string(APPEND text "public -module \"${top}\" -var \"${p}\"\n")
  endforeach()
  file(WRITE "${out}" "${text}")
endfunction()

# sa_verilate_model(TARGET <t> PREFIX <Vname> TOP <module> SOURCES <files...> [PARAMS N=V...]
#                   [TRACE] [SYSTEMC]): Verilates one model of a core into <t> with the one flag
# set, the contract's parameters public, and -GN=V for each PARAMS entry.
function(sa_verilate_model)
  cmake_parse_arguments(A "TRACE;SYSTEMC" "TARGET;PREFIX;TOP" "SOURCES;PARAMS" ${ARGN})
  set(gparams "")
  foreach(p IN LISTS A_PARAMS)
    list(APPEND gparams "-G${p}")
  endforeach()
  set(vlt ${CMAKE_CURRENT_BINARY_DIR}/${A_PREFIX}_public.vlt)
  sa_public_params_vlt(${A_TOP} ${vlt})
  set(mode "")
  if(A_SYSTEMC)
    set(mode SYSTEMC)
  endif()
  set(trace "")
  if(A_TRACE)
    set(trace TRACE)
  endif()
  # SA_COVERAGE: line, toggle and SVA-cover points, written by sa-cosim --coverage.
  set(coverage "")
  if(SA_COVERAGE)
    set(coverage COVERAGE)
  endif()
  sa_model_compile_opts(opts)
  verilate(${A_TARGET} ${mode} ${trace} ${coverage} SOURCES ${A_SOURCES} ${vlt}
           TOP_MODULE ${A_TOP} PREFIX ${A_PREFIX}
           VERILATOR_ARGS ${SA_VERILATOR_FLAGS} ${gparams} ${opts})
endfunction()

# sa_probe_core_params(TOP SOURCES PARAMS OUT_PREFIX): Verilates the core once at configure time
# (a second or less) and sets OUT_PREFIX_<Name> in the caller's scope to the value each contract
# parameter takes (the top's default unless PARAMS overrides it; Wgt2Mode 0 when the top has
# none). A Verilator error, or a top without a contract parameter, stops the configure step
# with the first errors.
function(sa_probe_core_params top sources params out)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/probe)
  file(REMOVE_RECURSE ${dir})
  sa_public_params_vlt(${top} ${dir}.vlt)
  set(gparams "")
  foreach(p IN LISTS params)
    list(APPEND gparams "-G${p}")
  endforeach()
  execute_process(
    COMMAND ${VERILATOR_BIN} --cc ${SA_VERILATOR_FLAGS} ${gparams} --top-module ${top}
            --prefix Vprobe --Mdir ${dir} ${sources} ${dir}.vlt
    RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "Verilator could not elaborate ${top}:\n${log}")
  endif()
  file(READ ${dir}/Vprobe_${top}.h header)
  foreach(p IN LISTS SA_CONTRACT_PARAMS SA_OPTIONAL_PARAMS)
    if(header MATCHES "static constexpr [A-Za-z]+/\\*[0-9:]+\\*/ ${p} = (0x[0-9A-Fa-f]+|[0-9]+)U?;")
      math(EXPR value "${CMAKE_MATCH_1}")
      set(${out}_${p} ${value} PARENT_SCOPE)
    elseif(p IN_LIST SA_CONTRACT_PARAMS)
      message(FATAL_ERROR "the top ${top} has no parameter ${p} (an integer): every core has "
                          "${SA_CONTRACT_PARAMS} (docs/dut-contract.md)")
    else()
      set(${out}_${p} 0 PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

# sa_verilate_core(TARGET <t> PREFIX <Vname> ROWS <r> COLS <c> [ACT_WIDTH 4] [WGT_WIDTH 4]
#                  [PSUM_WIDTH 24] [ACC_DEPTH 1024] [DATAFLOW ws|os] [WGT2_MODE]
#                  [RTL_FILELIST <f>] [TOP <module>] [TRACE] [SYSTEMC] [EXTRA_PARAMS N=v ...])
# Verilates one project core configuration into <t> at build time (the RTL unit tests and the
# benches; sa-cosim builds its cores on demand, sim/core_kit) and sets <PREFIX>_CONFIG in the
# caller's scope to the matching C++ ArrayConfig initializer
# {rows, cols, act, wgt, psum, acc_depth, dataflow, wgt2_mode}.
function(sa_verilate_core)
  cmake_parse_arguments(A "TRACE;SYSTEMC;WGT2_MODE"
    "TARGET;PREFIX;ROWS;COLS;ACT_WIDTH;WGT_WIDTH;PSUM_WIDTH;ACC_DEPTH;DATAFLOW;RTL_FILELIST;TOP"
    "EXTRA_PARAMS" ${ARGN})
  if(NOT DEFINED A_DATAFLOW)
    set(A_DATAFLOW ws)
  endif()
  set(default_top sa_core)
  if(A_DATAFLOW STREQUAL "os")
    set(default_top sa_os_core)
  endif()
  foreach(default "ACT_WIDTH;4" "WGT_WIDTH;4" "PSUM_WIDTH;24" "ACC_DEPTH;1024"
                  "RTL_FILELIST;${SA_RTL_FILELIST}" "TOP;${default_top}")
    list(GET default 0 k)
    list(GET default 1 v)
    if(NOT DEFINED A_${k})
      set(A_${k} "${v}")
    endif()
  endforeach()
  sa_check_core_config("${A_PREFIX}" "${A_ROWS}" "${A_COLS}" "${A_ACT_WIDTH}" "${A_WGT_WIDTH}"
                       "${A_PSUM_WIDTH}" "${A_ACC_DEPTH}" "${A_DATAFLOW}" "${A_WGT2_MODE}")
  set(params Rows=${A_ROWS} Cols=${A_COLS} ActWidth=${A_ACT_WIDTH} WgtWidth=${A_WGT_WIDTH}
             PsumWidth=${A_PSUM_WIDTH} AccDepth=${A_ACC_DEPTH} ${A_EXTRA_PARAMS})
  set(wgt2_cpp false)
  if(A_WGT2_MODE)
    list(APPEND params Wgt2Mode=1)
    set(wgt2_cpp true)
  endif()
  set(dataflow_cpp kWeightStationary)
  if(A_DATAFLOW STREQUAL "os")
    set(dataflow_cpp kOutputStationary)
  endif()
  sa_read_filelist("${A_RTL_FILELIST}" sources)
  set(flags "")
  foreach(f TRACE SYSTEMC)
    if(A_${f})
      list(APPEND flags ${f})
    endif()
  endforeach()
  sa_verilate_model(TARGET ${A_TARGET} PREFIX ${A_PREFIX} TOP ${A_TOP} SOURCES ${sources}
                    PARAMS ${params} ${flags})
  # The matching C++ configuration, an ArrayConfig initializer, for the caller.
  set(${A_PREFIX}_CONFIG
      "{${A_ROWS},${A_COLS},${A_ACT_WIDTH},${A_WGT_WIDTH},${A_PSUM_WIDTH},${A_ACC_DEPTH},::sa::sim::Dataflow::${dataflow_cpp},${wgt2_cpp}}"
      PARENT_SCOPE)
endfunction()
