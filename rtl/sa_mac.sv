// sa_mac: combinational multiply-accumulate. Activations are unsigned (post-ReLU), weights
// signed two's complement. Latency: 0 cycles (the PE registers the result).
//   4-bit pass (or Wgt2Mode = 0): psum_o = psum_i + a0 * wgt_i
//   2-bit pass (Wgt2Mode = 1, wgt2_i): the weight lane holds two 2-bit weights, w0 in bits [1:0]
//   for activation a0 and w1 in bits [3:2] for a1: psum_o = psum_i + a0 * w0 + a1 * w1.
// Weights use the whole two's-complement field (-2..1 in a pair), as the DUT contract requires.
// The 2-bit mode adds one ActWidth x 2 multiplier and an adder; the first product reuses the
// full-width multiplier with the sign-extended w0.
module sa_mac #(
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 12,
  parameter int Wgt2Mode  = 0,   
  localparam int Lanes    = Wgt2Mode != 0 ? 2 : 1  // activations per PE row
) (
  input  logic        [Lanes*ActWidth-1:0] act_i,   // a0 in the low ActWidth bits
  input  logic signed [WgtWidth-1:0]       wgt_i,
  input  logic                             wgt2_i,  // 2-bit pass (ignored without Wgt2Mode)
  input  logic signed [PsumWidth-1:0]      psum_i,
  output logic signed [PsumWidth-1:0]      psum_o
);

  // Zero-extend each activation by one bit so that the products are signed multiplies.
  logic signed [ActWidth:0]          act0_signed;
  logic signed [WgtWidth-1:0]        wgt0;
  logic signed [ActWidth+WgtWidth:0] product0;

  assign act0_signed = $signed({1'b0, act_i[ActWidth-1:0]});
  assign product0    = act0_signed * wgt0;

  if (Wgt2Mode != 0) begin : g_wgt2
    // Every operand signed (an unsigned '0 in a conditional would make the multiply unsigned).
    logic signed [ActWidth:0]   act1_signed;
    logic signed [1:0]          wgt_lo, wgt_hi, wgt1;
    logic signed [ActWidth+2:0] product1;
    assign wgt_lo      = wgt_i[1:0];
    assign wgt_hi      = wgt_i[3:2];
    assign wgt0        = wgt2_i ? WgtWidth'(wgt_lo) : wgt_i;  // a signed cast sign-extends
    assign wgt1        = wgt2_i ? wgt_hi : 2'sb00;
    assign act1_signed = $signed({1'b0, act_i[2*ActWidth-1:ActWidth]});
    assign product1    = act1_signed * wgt1;
    assign psum_o      = psum_i + PsumWidth'(product0) + PsumWidth'(product1);
  end else begin : g_wgt4
    assign wgt0   = wgt_i;
    assign psum_o = psum_i + PsumWidth'(product0);
  end

endmodule
