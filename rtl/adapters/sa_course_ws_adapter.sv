// sa_course_ws_adapter: puts a course-style core (course_ws_array: separate weight-load phase,
// in_valid/in_data, out_valid/out_data at a fixed latency, no backpressure) behind the sacosim
// DUT contract (docs/dut-contract.md), so the unchanged harness drives it. Template for your
// own core: keep the ports and parameters of this module and go through the three places
// marked CORE:
//   1. CoreWidth and Latency: your core's sum width per column, and the edges from in_valid to
//      its out_valid.
//   2. CoreHasIdle: 0 if your core has no idle output (and delete `.idle` in step 3); the
//      adapter then counts the beats it accepted that have not come out (inflight_q).
//   3. The instance: your module, its parameters and ports.
// It assumes what a course-style core does: in-order outputs at a fixed latency, one out_valid
// per in_valid, a weight load of Rows w_load cycles taken only with no beat in flight; a core
// that differs needs more than these three changes.
//
// What the adapter adds to a bare array, as the contract requires:
//   * weight stream: wgt_ready_o is high only while the core is idle in its load phase; one
//     tile is Rows rows. The core has one weight set, so each pass costs Rows load cycles plus
//     the core's LATENCY drain on top of its beats (sa_core overlaps both).
//   * activations: one beat per cycle into the core while act_ready_o; act_last_i ends the pass.
//     Credit flow control: a beat is accepted only if the output FIFO has room for every beat
//     in flight, because the core cannot be stalled.
//   * accumulation: beat k of each pass adds into buffer word k (AccDepth words of Cols sums);
//     the last pass of a group releases the sums (ReLU on request) into the FIFO.
//   * overflow_o: sticky, set when an accumulated sum does not fit PsumWidth.
// Latency: a beat accepted at edge t leaves the core at t + LATENCY, enters the FIFO at that
// edge and is on psum_data_o one cycle later.
module sa_course_ws_adapter #(
  parameter int unsigned Rows      = 8,
  parameter int unsigned Cols      = 8,
  parameter int unsigned ActWidth  = 4,
  parameter int unsigned WgtWidth  = 4,
  parameter int unsigned PsumWidth = 24,
  parameter int unsigned AccDepth  = 1024,
  parameter int unsigned FifoDepth = Rows + Cols + 4,
  // CORE: 1 if the core has an idle output (no beat in flight), 0 to count beats here instead.
  parameter bit          CoreHasIdle = 1'b1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      wgt_valid_i,
  output logic                      wgt_ready_o,
  input  logic [Cols*WgtWidth-1:0]  wgt_data_i,
  input  logic                      act_valid_i,
  output logic                      act_ready_o,
  input  logic [Rows*ActWidth-1:0]  act_data_i,
  input  logic                      act_last_i,
  input  logic                      act_acc_first_i,
  input  logic                      act_acc_last_i,
  input  logic                      act_relu_i,
  input  logic                      act_wgt2_i,  // the contract's 2-bit mode: this core has none
  output logic                      psum_valid_o,
  input  logic                      psum_ready_i,
  output logic [Cols*PsumWidth-1:0] psum_data_o,
  output logic                      overflow_o,
  output logic                      busy_o
);
  // CORE: the core's own sum width and latency.
  localparam int unsigned CoreWidth = ActWidth + WgtWidth + $clog2(Rows) + 1;
  localparam int unsigned Latency   = Rows + Cols;
  localparam int unsigned AddrWidth = $clog2(AccDepth);
  localparam int unsigned CntWidth  = $clog2(FifoDepth + 1);

  initial begin
    if (FifoDepth < 2 || PsumWidth < CoreWidth || PsumWidth > 63 || AccDepth < 1)
      $fatal(1, "sa_course_ws_adapter: illegal parameters");
  end

  // ---- load / stream / drain phases -------------------------------------------------------
  typedef enum logic [1:0] {Load, Stream, Drain} phase_e;
  phase_e phase_q, phase_d;
  logic [$clog2(Rows+1)-1:0] row_q, row_d;
  logic core_idle, core_idle_port, core_out_valid;
  logic [Cols*CoreWidth-1:0] core_out;

  // Beats accepted and not yet out of the core, and FIFO occupancy: both registers.
  logic [CntWidth-1:0] inflight_q, inflight_d, count_q;

  wire wgt_fire = wgt_valid_i && wgt_ready_o;
  wire act_fire = act_valid_i && act_ready_o;

  // Idle: the core's own word, or no accepted beat still inside it (the same cycles for a core
  // whose idle means exactly that).
  assign core_idle = CoreHasIdle ? core_idle_port : inflight_q == '0;
  assign wgt_ready_o = phase_q == Load && core_idle;
  assign act_ready_o = phase_q == Stream &&
                       ({1'b0, inflight_q} + {1'b0, count_q} < (CntWidth + 1)'(FifoDepth));

  always_comb begin
    phase_d = phase_q;
    row_d = row_q;
    unique case (phase_q)
      Load:   if (wgt_fire) begin
                row_d = row_q + 1'b1;
                if (row_q == ($clog2(Rows+1))'(Rows - 1)) begin
                  row_d = '0;
                  phase_d = Stream;
                end
              end
      Stream: if (act_fire && act_last_i) phase_d = Drain;
      Drain:  if (core_idle && !act_fire) phase_d = Load;
      default: phase_d = Load;
    endcase
  end

  // CORE: instance. Weights go straight in during the load phase, beats during the stream
  // (no idle output: delete .idle and set CoreHasIdle to 0).
  course_ws_array #(
    .N_ROWS(Rows), .N_COLS(Cols), .A_BITS(ActWidth), .W_BITS(WgtWidth), .P_BITS(CoreWidth)
  ) u_core (
    .clk     (clk_i),
    .rst     (!rst_ni),
    .w_load  (wgt_fire),
    .w_data  (wgt_data_i),
    .in_valid(act_fire),
    .in_data (act_data_i),
    .out_valid(core_out_valid),
    .out_data(core_out),
    .idle    (core_idle_port)
  );

  // ---- control of each beat, in order, beside the core -------------------------------------
  // The core keeps order and has a fixed latency: a FIFO of Latency + 1 entries holds the
  // sideband of every beat in flight.
  typedef struct packed {
    logic first, last_of_group, relu, last_of_pass;
  } ctrl_t;
  localparam int unsigned CtrlDepth = Latency + 1;
  ctrl_t ctrl_mem_q [CtrlDepth];
  logic [$clog2(CtrlDepth)-1:0] ctrl_wr_q, ctrl_rd_q;
  ctrl_t ctrl_out;
  assign ctrl_out = ctrl_mem_q[ctrl_rd_q];

  // ---- accumulation buffer and output FIFO ------------------------------------------------
  logic [Cols*PsumWidth-1:0] acc_mem_q [AccDepth];
  logic [AddrWidth-1:0] addr_q;
  logic [Cols*PsumWidth-1:0] fifo_mem_q [FifoDepth];
  logic [$clog2(FifoDepth)-1:0] fifo_wr_q, fifo_rd_q;
  logic overflow_q, overflow_d;

  logic [Cols*PsumWidth-1:0] sum_d, released_d;
  always_comb begin
    overflow_d = overflow_q;
    for (int c = 0; c < Cols; c++) begin
      logic signed [PsumWidth:0] prev, add, total;
      prev  = ctrl_out.first ? '0 : (PsumWidth+1)'($signed(acc_mem_q[addr_q][c*PsumWidth +: PsumWidth]));
      add   = (PsumWidth+1)'($signed(core_out[c*CoreWidth +: CoreWidth]));
      total = prev + add;
      if (core_out_valid && total[PsumWidth] != total[PsumWidth-1]) overflow_d = 1'b1;
      sum_d[c*PsumWidth +: PsumWidth] = total[PsumWidth-1:0];
      released_d[c*PsumWidth +: PsumWidth] =
          (ctrl_out.relu && total[PsumWidth-1]) ? '0 : total[PsumWidth-1:0];
    end
  end

  wire push = core_out_valid && ctrl_out.last_of_group;
  wire pop  = psum_valid_o && psum_ready_i;

  always_comb begin
    inflight_d = inflight_q;
    if (act_fire && !core_out_valid) inflight_d = inflight_q + 1'b1;
    if (!act_fire && core_out_valid) inflight_d = inflight_q - 1'b1;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      phase_q    <= Load;
      row_q      <= '0;
      inflight_q <= '0;
      count_q    <= '0;
      ctrl_wr_q  <= '0;
      ctrl_rd_q  <= '0;
      addr_q     <= '0;
      fifo_wr_q  <= '0;
      fifo_rd_q  <= '0;
      overflow_q <= 1'b0;
    end else begin
      phase_q    <= phase_d;
      row_q      <= row_d;
      inflight_q <= inflight_d;
      overflow_q <= overflow_d;
      if (act_fire) begin
        ctrl_mem_q[ctrl_wr_q] <= '{first: act_acc_first_i, last_of_group: act_acc_last_i,
                                   relu: act_relu_i, last_of_pass: act_last_i};
        ctrl_wr_q <= ctrl_wr_q == ($clog2(CtrlDepth))'(CtrlDepth - 1) ? '0 : ctrl_wr_q + 1'b1;
      end
      if (core_out_valid) begin
        ctrl_rd_q <= ctrl_rd_q == ($clog2(CtrlDepth))'(CtrlDepth - 1) ? '0 : ctrl_rd_q + 1'b1;
        acc_mem_q[addr_q] <= sum_d;
        addr_q <= ctrl_out.last_of_pass ? '0 : addr_q + 1'b1;
      end
      if (push) begin
        fifo_mem_q[fifo_wr_q] <= released_d;
        fifo_wr_q <= fifo_wr_q == ($clog2(FifoDepth))'(FifoDepth - 1) ? '0 : fifo_wr_q + 1'b1;
      end
      if (pop)
        fifo_rd_q <= fifo_rd_q == ($clog2(FifoDepth))'(FifoDepth - 1) ? '0 : fifo_rd_q + 1'b1;
      count_q <= count_q + CntWidth'(push) - CntWidth'(pop);
    end
  end

  assign psum_valid_o = count_q != '0;
  assign psum_data_o  = fifo_mem_q[fifo_rd_q];
  assign overflow_o   = overflow_q;
  assign busy_o       = !core_idle || count_q != '0 || phase_q == Drain;

`ifndef SYNTHESIS
  // The credit check must make a FIFO overrun impossible.
  assert property (@(posedge clk_i) disable iff (!rst_ni) push |-> (count_q < CntWidth'(FifoDepth) || pop))
    else $error("sa_course_ws_adapter: psum FIFO overrun");
`endif
endmodule
