// Plain SystemVerilog testbench for the $readmemh vectors of `sa-vectors export-memh` (layout in
// the export's README.md): streams one layer's weight rows and activation beats into sa_core
// with no stalls, compares every released psum vector with psum.memh, and prints one line:
//   sa_memh_tb: PASS|FAIL cycles C psum vectors V mismatches M
// No SystemC, no C++. With Icarus Verilog (sizes from the export's counts.memh, in decimal):
//   iverilog -g2012 -DSA_NO_SVA -P sa_memh_tb.NWgt=576 -P sa_memh_tb.NAct=4608 \
//     -P sa_memh_tb.NPsum=64 -o tb.vvp $(cat rtl/sa.f) rtl/tb/sa_memh_tb.sv
//   vvp -n tb.vvp +dir=EXPORT/layer3.0.conv2
// Rows, Cols and the widths default to 8 x 8, a4w4, 24-bit psums; set them with -P as well.
`timescale 1ns / 1ps
module sa_memh_tb;
  parameter int Rows = 8, Cols = 8, ActWidth = 4, WgtWidth = 4, PsumWidth = 24, AccDepth = 1024;
  parameter int NWgt = 1, NAct = 1, NPsum = 1;  // words in wgt.memh, act.memh, psum.memh

  logic clk = 0, rst_n = 0;
  logic wgt_valid, wgt_ready, act_valid, act_ready, psum_valid, overflow, busy;
  logic [Cols*WgtWidth-1:0] wgt_data;
  logic [Rows*ActWidth-1:0] act_data;
  logic act_last, acc_first, acc_last;
  logic [Cols*PsumWidth-1:0] psum_data;

  logic [Cols*WgtWidth-1:0] wgt_mem[0:NWgt-1];
  logic [Rows*ActWidth+2:0] act_mem[0:NAct-1];  // {act_last, acc_first, acc_last, act_data}
  logic [Cols*PsumWidth-1:0] psum_mem[0:NPsum-1];
  int wi = 0, ai = 0, pi = 0, cycles = 0, mismatches = 0;
  string dir;

  sa_core #(
      .Rows(Rows), .Cols(Cols), .ActWidth(ActWidth), .WgtWidth(WgtWidth), .PsumWidth(PsumWidth),
      .AccDepth(AccDepth)
  ) dut (
      .clk_i(clk), .rst_ni(rst_n),
      .wgt_valid_i(wgt_valid), .wgt_ready_o(wgt_ready), .wgt_data_i(wgt_data),
      .act_valid_i(act_valid), .act_ready_o(act_ready), .act_data_i(act_data),
      .act_last_i(act_last), .act_acc_first_i(acc_first), .act_acc_last_i(acc_last),
      .act_relu_i(1'b0),
      .act_wgt2_i(1'b0),
      .psum_valid_o(psum_valid), .psum_ready_i(1'b1), .psum_data_o(psum_data),
      .overflow_o(overflow), .busy_o(busy)
  );

  always #5 clk = ~clk;  // 100 MHz

  assign wgt_valid = wi < NWgt;
  assign wgt_data = wgt_valid ? wgt_mem[wi] : '0;
  assign act_valid = ai < NAct;
  assign {act_last, acc_first, acc_last, act_data} = act_valid ? act_mem[ai] : '0;

  initial begin
    if (!$value$plusargs("dir=%s", dir)) dir = ".";
    $readmemh({dir, "/wgt.memh"}, wgt_mem);
    $readmemh({dir, "/act.memh"}, act_mem);
    $readmemh({dir, "/psum.memh"}, psum_mem);
    repeat (2) @(posedge clk);
    @(negedge clk) rst_n = 1;  // away from the rising edge: no race with the core's flops
  end

  always @(posedge clk) begin
    if (rst_n) begin
      cycles <= cycles + 1;
      if (cycles > 4 * (NAct + NWgt) + 1000) begin
        $display("sa_memh_tb: FAIL timeout after %0d cycles: %0d/%0d weight rows, %0d/%0d beats, %0d/%0d psum vectors",
                 cycles, wi, NWgt, ai, NAct, pi, NPsum);
        $finish;
      end
      if (wgt_valid && wgt_ready) wi <= wi + 1;
      if (act_valid && act_ready) ai <= ai + 1;
      if (psum_valid) begin
        if (psum_data !== psum_mem[pi]) begin
          if (mismatches < 5)
            $display("sa_memh_tb: psum vector %0d: expected %h, got %h", pi, psum_mem[pi],
                     psum_data);
          mismatches <= mismatches + 1;
        end
        pi <= pi + 1;
        if (pi + 1 == NPsum) begin
          $display("sa_memh_tb: %s cycles %0d psum vectors %0d mismatches %0d",
                   (mismatches + (psum_data !== psum_mem[pi])) == 0 ? "PASS" : "FAIL",
                   cycles + 1, NPsum, mismatches + (psum_data !== psum_mem[pi]));
          $finish;
        end
      end
    end
  end
endmodule
