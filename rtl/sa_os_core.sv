// sa_os_core: output-stationary systolic array under the DUT contract (docs/dut-contract.md,
// "Output-stationary cores"). Each PE owns one output of a Rows (pixels) x Cols (channels)
// tile; one reduction step is one beat on each input stream: act_data_i carries the Rows
// pixels' activations of the step, wgt_data_i the Cols channels' weights of the step.
// Data movement: both beats wait in 2-entry FIFOs until the other is there; a step takes one of
// each, is registered, skewed (row r by r cycles, column c by c cycles) and meets in the PEs,
// which accumulate. On the tile's last step the sums move to drain registers and leave down the
// columns (row Rows-1 first) while the next tile accumulates, are de-skewed and queue in the
// output FIFO: Rows psum vectors per tile.
// Timing: one step per cycle; consecutive tiles end >= Rows cycles apart (the column drain);
// last step taken at cycle t -> its tile's first psum vector on psum_data_o at t + Rows + Cols
// + 1, one vector per cycle after it.
// Flow control: a tile's last step is taken only while the output FIFO has room for its Rows
// vectors and every vector already committed, so backpressure loses and duplicates nothing.
// Accumulation groups: act_acc_first_i/act_acc_last_i as in the contract; the sums stay in the
// PEs across passes, so a tile may span several passes.
module sa_os_core
  import sa_pkg::*;
#(
  parameter int Rows      = 8,
  parameter int Cols      = 8,
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 24,
  parameter int AccDepth  = 1024,                 // unused: the sums live in the PEs
  parameter int FifoDepth = 2 * Rows + Cols + 4   // full rate for tiles of >= 2 Rows + Cols steps
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // weight beats: one per reduction step, column c in bits [c*WgtWidth +: WgtWidth]
  input  logic                      wgt_valid_i,
  output logic                      wgt_ready_o,
  input  logic [Cols*WgtWidth-1:0]  wgt_data_i,
  // activation beats: one per reduction step, pixel row r in bits [r*ActWidth +: ActWidth]
  input  logic                      act_valid_i,
  output logic                      act_ready_o,
  input  logic [Rows*ActWidth-1:0]  act_data_i,
  input  logic                      act_last_i,       // last step of this pass
  input  logic                      act_acc_first_i,  // the pass starts the tile's sums
  input  logic                      act_acc_last_i,   // the pass ends the tile: release sums
  input  logic                      act_relu_i,       // apply ReLU to released sums
  input  logic                      act_wgt2_i,       // no 2-bit mode in this core: ignored
  // released psum vectors, Rows per tile, row Rows-1 first: column c at [c*PsumWidth +: ...]
  output logic                      psum_valid_o,
  input  logic                      psum_ready_i,
  output logic [Cols*PsumWidth-1:0] psum_data_o,
  // status
  output logic                      overflow_o,       // sticky: a sum did not fit PsumWidth
  output logic                      busy_o            // steps or psums not yet released/taken
);

  localparam int ActFifoWidth = Rows * ActWidth + 4;
  localparam int CountWidth   = $clog2(FifoDepth + Rows + 1);
  localparam int GapWidth     = $clog2(Rows + 1);

  initial begin
    if (Rows < 1 || Cols < 1 || ActWidth < 1 || WgtWidth < 2 || FifoDepth < Rows ||
        PsumWidth < ActWidth + WgtWidth + 1 || PsumWidth > 64)
      $fatal(1, "sa_os_core: illegal parameters Rows=%0d Cols=%0d ActWidth=%0d WgtWidth=%0d %s",
             Rows, Cols, ActWidth, WgtWidth, "PsumWidth (<= 64) FifoDepth (>= Rows)");
  end

  // ---------------------------------------------------------------- input FIFOs
  logic                          act_head_valid, wgt_head_valid, step;
  logic [ActFifoWidth-1:0]       act_head;
  logic [Cols*WgtWidth-1:0]      wgt_head;
  logic [1:0]                    act_count, wgt_count;
  logic [Rows*ActWidth-1:0]      head_act;
  logic                          head_last, head_acc_first, head_acc_last, head_relu;

  // The input FIFOs' writers wait on ready (their overrun assertion expects no write when full).
  sa_fifo #(.Width(ActFifoWidth), .Depth(2)) u_act_fifo (
    .clk_i,
    .rst_ni,
    .wvalid_i(act_valid_i && act_ready_o),
    .wready_o(act_ready_o),
    .wdata_i ({act_relu_i, act_acc_last_i, act_acc_first_i, act_last_i, act_data_i}),
    .rvalid_o(act_head_valid),
    .rready_i(step),
    .rdata_o (act_head),
    .count_o (act_count)
  );
  sa_fifo #(.Width(Cols*WgtWidth), .Depth(2)) u_wgt_fifo (
    .clk_i,
    .rst_ni,
    .wvalid_i(wgt_valid_i && wgt_ready_o),
    .wready_o(wgt_ready_o),
    .wdata_i (wgt_data_i),
    .rvalid_o(wgt_head_valid),
    .rready_i(step),
    .rdata_o (wgt_head),
    .count_o (wgt_count)
  );
  assign {head_relu, head_acc_last, head_acc_first, head_last, head_act} = act_head;

  // ---------------------------------------------------------------- step control
  logic                  pass_start_q, pass_start_d;  // the next step opens a pass
  logic                  tile_open_q, tile_open_d;    // steps taken whose sums are not released
  logic [GapWidth-1:0]   gap_q, gap_d;                // cycles until a tile may end again
  logic [CountWidth-1:0] in_flight_q, in_flight_d;    // vectors committed, not yet in the FIFO
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  logic                  release_step, release_ok, push;

  assign release_step = head_last && head_acc_last;
  assign release_ok   = gap_q == '0 &&
                        CountWidth'(fifo_count) + in_flight_q + CountWidth'(Rows) <=
                        CountWidth'(FifoDepth);
  assign step         = act_head_valid && wgt_head_valid && (!release_step || release_ok);

  always_comb begin
    pass_start_d = step ? head_last : pass_start_q;
    tile_open_d  = step ? !release_step : tile_open_q;
    gap_d        = step && release_step ? GapWidth'(Rows - 1) :
                   gap_q != '0 ? gap_q - 1'b1 : '0;
    in_flight_d  = in_flight_q + (step && release_step ? CountWidth'(Rows) : '0) -
                   (push ? CountWidth'(1) : '0);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pass_start_q <= 1'b1;
      tile_open_q  <= 1'b0;
      gap_q        <= '0;
      in_flight_q  <= '0;
    end else begin
      pass_start_q <= pass_start_d;
      tile_open_q  <= tile_open_d;
      gap_q        <= gap_d;
      in_flight_q  <= in_flight_d;
    end
  end

  // ---------------------------------------------------------------- input register + skew
  logic [Rows-1:0][ActWidth-1:0] in_act_q, skew_act;
  logic [Cols-1:0][WgtWidth-1:0] in_wgt_q, skew_wgt;
  os_tag_t [Rows-1:0]            in_tag_q, skew_tag;
  os_tag_t                       step_tag;

  always_comb begin
    step_tag.valid = step;
    step_tag.first = step && pass_start_q && head_acc_first;
    step_tag.last  = step && release_step;
    step_tag.relu  = head_relu;
  end

  // Bubbles enter as zeros with an invalid tag: the PEs keep their sums.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_act_q <= '0;
      in_wgt_q <= '0;
      in_tag_q <= '0;
    end else begin
      in_act_q <= step ? head_act : '0;
      in_wgt_q <= step ? wgt_head : '0;
      in_tag_q <= {Rows{step_tag}};
    end
  end

  sa_skew #(.Lanes(Rows), .Width(ActWidth), .Reverse(1'b0)) u_skew_act (
    .clk_i, .rst_ni, .data_i(in_act_q), .data_o(skew_act)
  );
  sa_skew #(.Lanes(Rows), .Width($bits(os_tag_t)), .Reverse(1'b0)) u_skew_tag (
    .clk_i, .rst_ni, .data_i(in_tag_q), .data_o(skew_tag)
  );
  sa_skew #(.Lanes(Cols), .Width(WgtWidth), .Reverse(1'b0)) u_skew_wgt (
    .clk_i, .rst_ni, .data_i(in_wgt_q), .data_o(skew_wgt)
  );

  // ---------------------------------------------------------------- array + de-skew
  logic [Cols-1:0]                col_valid;
  logic [Cols-1:0][PsumWidth-1:0] col_psum, aligned_psum;
  logic                           array_overflow, overflow_q;

  sa_os_array #(
    .Rows(Rows), .Cols(Cols), .ActWidth(ActWidth), .WgtWidth(WgtWidth), .PsumWidth(PsumWidth)
  ) u_array (
    .clk_i,
    .rst_ni,
    .act_i      (skew_act),
    .tag_i      (skew_tag),
    .wgt_i      (skew_wgt),
    .col_valid_o(col_valid),
    .col_psum_o (col_psum),
    .overflow_o (array_overflow)
  );

  // Column c drains c cycles after column 0: delay it by Cols-1-c. The last column is the
  // undelayed one, so its valid marks the aligned vector.
  sa_skew #(.Lanes(Cols), .Width(PsumWidth), .Reverse(1'b1)) u_deskew (
    .clk_i, .rst_ni, .data_i(col_psum), .data_o(aligned_psum)
  );
  assign push = col_valid[Cols-1];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) overflow_q <= 1'b0;
    else         overflow_q <= overflow_q | array_overflow;
  end
  assign overflow_o = overflow_q;

  // ---------------------------------------------------------------- output FIFO
  logic fifo_wready;

  sa_fifo #(.Width(Cols*PsumWidth), .Depth(FifoDepth)) u_fifo (
    .clk_i,
    .rst_ni,
    .wvalid_i(push),
    .wready_o(fifo_wready),
    .wdata_i (aligned_psum),
    .rvalid_o(psum_valid_o),
    .rready_i(psum_ready_i),
    .rdata_o (psum_data_o),
    .count_o (fifo_count)
  );

  assign busy_o = act_count != '0 || wgt_count != '0 || tile_open_q || in_flight_q != '0 ||
                  psum_valid_o;

`ifndef SA_NO_SVA
  // The credit check makes an overrun impossible; a tile never ends while the previous one is
  // still draining (the gap counter); outputs are never X after reset.
  a_fifo_room: assert property (@(posedge clk_i) disable iff (!rst_ni) push |-> fifo_wready)
    else $error("sa_os_core: psum FIFO overrun");
  a_push_committed: assert property (@(posedge clk_i) disable iff (!rst_ni)
                                     push |-> in_flight_q != '0)
    else $error("sa_os_core: a psum vector that no tile committed");
  a_outputs_known: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !$isunknown({wgt_ready_o, act_ready_o, psum_valid_o, overflow_o, busy_o}))
    else $error("sa_os_core: X on a handshake or status output");
`endif

endmodule
