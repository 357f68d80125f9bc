// sa_acc: accumulates the column sums of successive passes for the same output pixel.
// Beat k of a pass goes to buffer address k (the address resets after a pass_end beat). On the
// first pass of a group the buffer value is ignored (start from 0); on the last pass the sums
// (optionally clamped at 0 by ReLU) are released to the output instead of being stored.
// Latency: 0 cycles (combinational read-modify-write; the output FIFO registers the result).
// overflow_o is sticky: set when any valid sum does not fit in PsumWidth signed bits.
module sa_acc
  import sa_pkg::*;
#(
  parameter int Cols      = 8,
  parameter int InWidth   = 12,  // signed width of the incoming column sums
  parameter int PsumWidth = 24,  // signed width of stored and released sums
  parameter int AccDepth  = 1024 // output pixels one pass may cover
) (
  input  logic                           clk_i,
  input  logic                           rst_ni,
  input  beat_ctrl_t                     ctrl_i,
  input  logic [Cols-1:0][InWidth-1:0]   psum_i,
  output logic                           out_valid_o,
  output logic [Cols-1:0][PsumWidth-1:0] out_data_o,
  output logic                           overflow_o
);

  localparam int SumWidth  = (InWidth > PsumWidth ? InWidth : PsumWidth) + 1;
  localparam int AddrWidth = AccDepth > 1 ? $clog2(AccDepth) : 1;

  logic [Cols-1:0][PsumWidth-1:0] buf_q [AccDepth];
  logic [AddrWidth-1:0]           addr_q, addr_d;
  logic [Cols-1:0][PsumWidth-1:0] sum_stored;
  logic                           sum_overflow;
  logic                           overflow_q, overflow_d;

  always_comb begin
    sum_overflow = 1'b0;
    for (int c = 0; c < int'(Cols); c++) begin
      logic signed [SumWidth-1:0] prev, sum;
      prev = ctrl_i.acc_first ? '0 : SumWidth'($signed(buf_q[addr_q][c]));
      sum  = prev + SumWidth'($signed(psum_i[c]));
      // The sum fits iff truncating to PsumWidth and sign-extending gives it back.
      if (SumWidth'($signed(sum[PsumWidth-1:0])) != sum) sum_overflow = 1'b1;
      if (ctrl_i.relu && ctrl_i.acc_last && sum < 0) sum = '0;
      sum_stored[c] = sum[PsumWidth-1:0];
    end
  end

  always_comb begin
    addr_d     = addr_q;
    overflow_d = overflow_q;
    if (ctrl_i.valid) begin
      addr_d     = ctrl_i.pass_end || 32'(addr_q) == AccDepth - 1 ? '0 : addr_q + 1'b1;
      overflow_d = overflow_q | sum_overflow;  // sticky until reset
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      addr_q     <= '0;
      overflow_q <= 1'b0;
    end else begin
      addr_q     <= addr_d;
      overflow_q <= overflow_d;
    end
  end

  // The buffer has no reset: the first pass of every group overwrites before anything is read.
  always_ff @(posedge clk_i) begin
    if (ctrl_i.valid && !ctrl_i.acc_last) buf_q[addr_q] <= sum_stored;
  end

  assign out_valid_o = ctrl_i.valid && ctrl_i.acc_last;
  assign out_data_o  = sum_stored;
  assign overflow_o  = overflow_q;

endmodule
