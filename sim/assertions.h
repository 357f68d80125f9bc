// RTL assertions as design failures. With --assert, a failing SVA makes the Verilated model call
// vl_stop(file, line), whose default aborts the whole simulator (exit 134: no report, no JUnit,
// and under --jobs or Slurm an "error" a CI may retry as infrastructure trouble). Each core
// executable overrides vl_stop (VL_USER_STOP, sim/core_main.cc) to record the hit here; the
// harness checks after every clock edge and ends that unit as failed, naming the assertion, its
// file:line and cycle; the next unit starts from reset as always.
#pragma once

#include <string>

namespace sa::sim {

struct AssertionHit {
  std::string name;  // the assertion's label in the RTL (e.g. a_fifo_room), or "assertion"
  std::string file;
  int line = 0;
};

// Called from vl_stop: remembers the first hit since the last TakeAssertion.
void RecordAssertion(const char* file, int line);
// The pending hit, if any (and clears it).
bool TakeAssertion(AssertionHit* hit);

// The label of the assertion at `line` of `file` ("a_fifo_room: assert property ..."), or "".
std::string AssertionLabel(const std::string& file, int line);

}  // namespace sa::sim
