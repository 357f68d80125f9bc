// Icarus Verilog testbench for the speed comparison: streams a slice of one layer (exported by
// cosim_bench as hex files) through sa_core with no stalls and checks every released psum.
// Compile with -DROWS=.. -DCOLS=.. -DN_WGT=.. -DN_ACT=.. -DN_EXP=.. (counts of hex lines).
`timescale 1ns/1ps
module iverilog_tb;
  localparam int Rows = `ROWS, Cols = `COLS, ActWidth = 4, WgtWidth = 4, PsumWidth = 24;

  logic clk = 0, rst_n = 0;
  logic wgt_valid, wgt_ready, act_valid, act_ready, psum_valid, overflow, busy;
  logic [Cols*WgtWidth-1:0] wgt_data;
  logic [Rows*ActWidth-1:0] act_data;
  logic act_last, acc_first, acc_last;
  logic [Cols*PsumWidth-1:0] psum_data;

  logic [Cols*WgtWidth-1:0]   wgt_mem [`N_WGT];
  logic [Rows*ActWidth+2:0]   act_mem [`N_ACT];  // {last, acc_first, acc_last, data}
  logic [Cols*PsumWidth-1:0]  exp_mem [`N_EXP];
  int wi = 0, ai = 0, ei = 0, cycles = 0, mismatches = 0;

  sa_core #(.Rows(Rows), .Cols(Cols)) dut (
    .clk_i(clk), .rst_ni(rst_n),
    .wgt_valid_i(wgt_valid), .wgt_ready_o(wgt_ready), .wgt_data_i(wgt_data),
    .act_valid_i(act_valid), .act_ready_o(act_ready), .act_data_i(act_data),
    .act_last_i(act_last), .act_acc_first_i(acc_first), .act_acc_last_i(acc_last), .act_relu_i(1'b0),
    .psum_valid_o(psum_valid), .psum_ready_i(1'b1), .psum_data_o(psum_data),
    .overflow_o(overflow), .busy_o(busy)
  );

  always #5 clk = ~clk;

  assign wgt_valid = wi < `N_WGT;
  assign wgt_data  = wgt_valid ? wgt_mem[wi] : '0;
  assign act_valid = ai < `N_ACT;
  assign {act_last, acc_first, acc_last, act_data} = act_valid ? act_mem[ai] : '0;

  initial begin
    $readmemh("wgt.hex", wgt_mem);
    $readmemh("act.hex", act_mem);
    $readmemh("exp.hex", exp_mem);
    repeat (2) @(posedge clk);
    @(negedge clk) rst_n = 1;  // away from the rising edge: no race with the DUT's flops
  end

  always @(posedge clk) begin
    if (rst_n) begin
      cycles <= cycles + 1;
      if (cycles > 4 * (`N_ACT + `N_WGT) + 1000) begin
        $display("icarus: timeout after %0d cycles: %0d/%0d weights, %0d/%0d beats, %0d/%0d psums",
                 cycles, wi, `N_WGT, ai, `N_ACT, ei, `N_EXP);
        $finish;
      end
      if (wgt_valid && wgt_ready) wi <= wi + 1;
      if (act_valid && act_ready) ai <= ai + 1;
      if (psum_valid) begin
        if (psum_data !== exp_mem[ei]) begin
          if (mismatches == 0) $display("icarus: first mismatch, vector %0d: expected %h got %h", ei, exp_mem[ei], psum_data);
          mismatches <= mismatches + 1;
        end
        ei <= ei + 1;
        if (ei + 1 == `N_EXP) begin
          $display("icarus: cycles %0d mismatches %0d", cycles + 1, mismatches + (psum_data !== exp_mem[ei]));
          $finish;
        end
      end
    end
  end
endmodule
