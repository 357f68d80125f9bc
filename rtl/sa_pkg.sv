// sa_pkg: types and helper functions shared by the systolic-array RTL.
package sa_pkg;

  // Sideband that travels with every accepted activation beat, from the input to the
  // accumulator, so that each output vector knows how to be accumulated (no separate control
  // FSM has to track pass boundaries downstream).
  typedef struct packed {
    logic valid;       // a real beat (0: bubble)
    logic pass_end;    // last beat of a pass: resets the accumulator address
    logic acc_first;   // first pass of an accumulation group: start from 0, not the buffer
    logic acc_last;    // last pass of the group: release the sums to the output stream
    logic relu;        // clamp released sums at 0
  } beat_ctrl_t;

  // Tag of one reduction step in the output-stationary array (sa_os_*), travelling east with
  // its activations.
  typedef struct packed {
    logic valid;  // a real step (0: bubble)
    logic first;  // first step of the output tile: the sum starts from 0
    logic last;   // last step: the sum is finished and moves to the drain register
    logic relu;   // clamp the finished sums at 0 when they leave the array
  } os_tag_t;

  // Width that holds a column sum of `rows` products of an unsigned `act_width`-bit activation
  // and a signed `wgt_width`-bit weight without overflow.
  function automatic int ArrayPsumWidth(int act_width, int wgt_width,
                                                 int rows);
    ArrayPsumWidth = act_width + wgt_width + $clog2(rows) + 1;  // not "return": Yosys 0.23
  endfunction

endpackage
