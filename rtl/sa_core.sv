// sa_core: weight-stationary systolic array with double-buffered weights, input skew, output
// de-skew, accumulator and output FIFO. See rtl/README.md for the pass mapping and timing.
//
// Data movement: a weight tile enters as Rows beats (beat r = row r, Cols weights) into the
// bank not in use; an activation beat (Rows activations) is registered, skewed (row r by r
// cycles) and flows east through the array while column sums flow south; the sums are de-skewed,
// accumulated across passes in sa_acc and, on the last pass of a group, pushed into the FIFO.
// Latency: activation beat accepted at cycle t -> its released psum vector on psum_data_o at
// t + Rows + Cols + 1. Throughput: one activation beat per cycle, passes back to back.
// Flow control: the array never stalls; an activation beat is accepted only while the FIFO has
// room for every beat already in flight, so psum backpressure loses and duplicates nothing.
// 2-bit mode (Wgt2Mode = 1, WgtWidth = 4): act_data_i has 2 x Rows lanes; on a pass with
// act_wgt2_i each PE row r takes lanes 2r and 2r+1 and each weight lane holds two 2-bit weights
// (bits [1:0] for lane 2r, [3:2] for 2r+1), so a pass covers 2 x Rows input channels. A 4-bit
// pass (act_wgt2_i low) uses lane 2r for row r and ignores the odd lanes. Timing is the same in
// both modes.
module sa_core
  import sa_pkg::*;
#(
  parameter int Rows      = 8,
  parameter int Cols      = 8,
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 24,
  parameter int AccDepth  = 1024,             // 32 x 32 output pixels per pass
  parameter int Wgt2Mode  = 0,                // the run-time 2-bit mode (act_wgt2_i)
  parameter int FifoDepth = Rows + Cols + 4,  // >= pipeline depth + 2 for full rate
  localparam int ActLanes = Wgt2Mode != 0 ? 2 * Rows : Rows
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // weight tiles: Rows beats each, beat r carries row r; column c in bits [c*WgtWidth +: WgtWidth]
  input  logic                      wgt_valid_i,
  output logic                      wgt_ready_o,
  input  logic [Cols*WgtWidth-1:0]  wgt_data_i,
  // activation vectors: row r in bits [r*ActWidth +: ActWidth], plus per-pass control
  input  logic                      act_valid_i,
  output logic                      act_ready_o,
  input  logic [ActLanes*ActWidth-1:0] act_data_i,
  input  logic                      act_last_i,       // last beat of this pass
  input  logic                      act_acc_first_i,  // pass starts an accumulation group
  input  logic                      act_acc_last_i,   // pass ends the group: release sums
  input  logic                      act_relu_i,       // apply ReLU to released sums
  input  logic                      act_wgt2_i,       // 2-bit pass (ignored without Wgt2Mode)
  // released psum vectors: column c in bits [c*PsumWidth +: PsumWidth]
  output logic                      psum_valid_o,
  input  logic                      psum_ready_i,
  output logic [Cols*PsumWidth-1:0] psum_data_o,
  // status
  output logic                      overflow_o,       // sticky: a sum did not fit PsumWidth
  output logic                      busy_o            // beats in flight or psums not yet taken
);

  localparam int ArrayWidth = ArrayPsumWidth(ActWidth, WgtWidth, Rows);
  localparam int PipeDepth  = Rows + Cols;  // input register .. acc stage, in cycles
  // Cycles after a pass's last beat is accepted before its bank may be overwritten: the beat
  // reaches PE(Rows-1, Cols-1) Rows + Cols - 1 cycles later.
  localparam int DrainCycles = Rows + Cols;
  localparam int DrainWidth  = $clog2(DrainCycles + 1);
  localparam int CountWidth  = $clog2(FifoDepth + PipeDepth + 1);

  initial begin
    if (Rows < 1 || Cols < 1 || ActWidth < 1 || WgtWidth < 2 || AccDepth < 1 ||
        PsumWidth < ArrayWidth || PsumWidth > 64 || FifoDepth < 2 || (Wgt2Mode != 0 && WgtWidth != 4))
      $fatal(1, "sa_core: illegal parameters Rows=%0d Cols=%0d ActWidth=%0d WgtWidth=%0d %s",
             Rows, Cols, ActWidth, WgtWidth, "PsumWidth (>= one pass's sum, <= 64) AccDepth FifoDepth, Wgt2Mode needs WgtWidth 4");
  end

  // ---------------------------------------------------------------- weight banks
  logic                       wgt_bank_q, wgt_bank_d;    // bank the loader fills next
  logic [$clog2(Rows+1)-1:0]  wgt_row_q, wgt_row_d;
  logic [1:0]                 bank_full_q, bank_full_d;  // tile loaded, not yet consumed
  logic [1:0][DrainWidth-1:0] drain_q, drain_d;  // packed: Icarus does not track unpacked arrays in assigns
  logic                       act_bank_q, act_bank_d;    // bank the current (or next) pass uses
  logic                       wgt_accept, act_accept;

  assign wgt_ready_o = !bank_full_q[wgt_bank_q] && drain_q[wgt_bank_q] == '0;
  assign wgt_accept  = wgt_valid_i && wgt_ready_o;

  // ---------------------------------------------------------------- flow control
  logic [CountWidth-1:0]         in_flight_q, in_flight_d;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  beat_ctrl_t [PipeDepth-1:0]    sb_q, sb_d;
  beat_ctrl_t                    sb_out;        // the sideband reaching the accumulator
  logic                          credit_ok;

  assign credit_ok   = CountWidth'(fifo_count) + in_flight_q < CountWidth'(FifoDepth);
  assign act_ready_o = bank_full_q[act_bank_q] && credit_ok;
  assign act_accept  = act_valid_i && act_ready_o;

  always_comb begin
    wgt_bank_d  = wgt_bank_q;
    wgt_row_d   = wgt_row_q;
    bank_full_d = bank_full_q;
    act_bank_d  = act_bank_q;
    for (int b = 0; b < 2; b++) drain_d[b] = drain_q[b] != '0 ? drain_q[b] - 1'b1 : '0;
    if (wgt_accept) begin
      if (32'(wgt_row_q) == Rows - 1) begin
        wgt_row_d               = '0;
        bank_full_d[wgt_bank_q] = 1'b1;
        wgt_bank_d              = ~wgt_bank_q;
      end else begin
        wgt_row_d = wgt_row_q + 1'b1;
      end
    end
    // The loader only touches a bank that is not full and the pass only one that is, so the
    // two updates of bank_full never name the same bank.
    if (act_accept && act_last_i) begin
      bank_full_d[act_bank_q] = 1'b0;
      drain_d[act_bank_q]     = DrainWidth'(DrainCycles);
      act_bank_d              = ~act_bank_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wgt_bank_q  <= 1'b0;
      wgt_row_q   <= '0;
      bank_full_q <= '0;
      drain_q     <= '0;
      act_bank_q  <= 1'b0;
    end else begin
      wgt_bank_q  <= wgt_bank_d;
      wgt_row_q   <= wgt_row_d;
      bank_full_q <= bank_full_d;
      drain_q     <= drain_d;
      act_bank_q  <= act_bank_d;
    end
  end

  // ---------------------------------------------------------------- input register + skew
  localparam int LaneWidth = ActLanes / Rows * ActWidth;  // activation bits per PE row
  logic [Rows-1:0][LaneWidth-1:0] in_act_q, in_act_d, skew_act;
  // Per row: {2-bit mode, weight bank}, skewed with the activations.
  logic [Rows-1:0][1:0]           in_tag_q, in_tag_d, skew_tag;
  logic [Rows-1:0]                skew_bank, skew_wgt2;

  // Bubbles enter as zeros; their sums are tagged invalid and never reach the accumulator.
  // Row r's lanes (2r and 2r+1 in the 2-bit mode) are adjacent in act_data_i.
  assign in_act_d = act_accept ? act_data_i : '0;
  assign in_tag_d = {Rows{Wgt2Mode != 0 && act_wgt2_i, act_bank_q}};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_act_q <= '0;
      in_tag_q <= '0;
    end else begin
      in_act_q <= in_act_d;
      in_tag_q <= in_tag_d;
    end
  end

  sa_skew #(.Lanes(Rows), .Width(LaneWidth), .Reverse(1'b0)) u_skew_act (
    .clk_i, .rst_ni, .data_i(in_act_q), .data_o(skew_act)
  );
  sa_skew #(.Lanes(Rows), .Width(2), .Reverse(1'b0)) u_skew_tag (
    .clk_i, .rst_ni, .data_i(in_tag_q), .data_o(skew_tag)
  );
  for (genvar r = 0; r < Rows; r++) begin : g_tag
    assign skew_bank[r] = skew_tag[r][0];
    assign skew_wgt2[r] = skew_tag[r][1];
  end

  // ---------------------------------------------------------------- array + de-skew
  logic [Cols-1:0][ArrayWidth-1:0] col_psum, aligned_psum;

  sa_array #(
    .Rows(Rows), .Cols(Cols), .ActWidth(ActWidth), .WgtWidth(WgtWidth), .PsumWidth(ArrayWidth),
    .Wgt2Mode(Wgt2Mode)
  ) u_array (
    .clk_i,
    .rst_ni,
    .wgt_we_i      (wgt_accept),
    .wgt_bank_i    (wgt_bank_q),
    .wgt_row_i     (wgt_row_q),
    .wgt_row_data_i(wgt_data_i),
    .act_i         (skew_act),
    .act_bank_i    (skew_bank),
    .act_wgt2_i    (skew_wgt2),
    .psum_o        (col_psum)
  );

  sa_skew #(.Lanes(Cols), .Width(ArrayWidth), .Reverse(1'b1)) u_deskew (
    .clk_i, .rst_ni, .data_i(col_psum), .data_o(aligned_psum)
  );

  // ---------------------------------------------------------------- sideband pipeline
  beat_ctrl_t in_ctrl;
  always_comb begin
    in_ctrl.valid     = act_accept;
    in_ctrl.pass_end  = act_last_i;
    in_ctrl.acc_first = act_acc_first_i;
    in_ctrl.acc_last  = act_acc_last_i;
    in_ctrl.relu      = act_relu_i;
  end

  always_comb begin
    sb_d[0] = act_accept ? in_ctrl : '0;
    for (int s = 1; s < int'(PipeDepth); s++) sb_d[s] = sb_q[s-1];
    unique case ({act_accept, sb_out.valid})
      2'b10:   in_flight_d = in_flight_q + 1'b1;
      2'b01:   in_flight_d = in_flight_q - 1'b1;
      default: in_flight_d = in_flight_q;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sb_q        <= '0;
      in_flight_q <= '0;
    end else begin
      sb_q        <= sb_d;
      in_flight_q <= in_flight_d;
    end
  end

  assign sb_out = sb_q[PipeDepth-1];

  // ---------------------------------------------------------------- accumulator + FIFO
  logic                           acc_valid;
  logic [Cols-1:0][PsumWidth-1:0] acc_data;

  sa_acc #(
    .Cols(Cols), .InWidth(ArrayWidth), .PsumWidth(PsumWidth), .AccDepth(AccDepth)
  ) u_acc (
    .clk_i,
    .rst_ni,
    .ctrl_i     (sb_out),
    .psum_i     (aligned_psum),
    .out_valid_o(acc_valid),
    .out_data_o (acc_data),
    .overflow_o (overflow_o)
  );

  logic fifo_wready;

  sa_fifo #(.Width(Cols*PsumWidth), .Depth(FifoDepth)) u_fifo (
    .clk_i,
    .rst_ni,
    .wvalid_i(acc_valid),
    .wready_o(fifo_wready),
    .wdata_i (acc_data),
    .rvalid_o(psum_valid_o),
    .rready_i(psum_ready_i),
    .rdata_o (psum_data_o),
    .count_o (fifo_count)
  );

  assign busy_o = in_flight_q != '0 || psum_valid_o;

`ifndef SA_NO_SVA  // Icarus Verilog (the speed bench) does not parse concurrent assertions
  // Checked in every Verilated simulation (--assert). The credit check makes an overrun
  // impossible; sums are released only on a group's last pass; outputs are never X after reset.
  a_fifo_room: assert property (@(posedge clk_i) disable iff (!rst_ni) acc_valid |-> fifo_wready)
    else $error("sa_core: psum FIFO overrun");
  a_release_on_group_end: assert property (@(posedge clk_i) disable iff (!rst_ni)
                                           acc_valid |-> sb_out.valid && sb_out.acc_last)
    else $error("sa_core: sums released outside the last pass of a group");
  a_outputs_known: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !$isunknown({wgt_ready_o, act_ready_o, psum_valid_o, overflow_o, busy_o}))
    else $error("sa_core: X on a handshake or status output");
  a_psum_known: assert property (@(posedge clk_i) disable iff (!rst_ni)
                                 psum_valid_o |-> !$isunknown(psum_data_o))
    else $error("sa_core: X on psum_data_o while valid");
`endif

endmodule
