// sa_mac: combinational multiply-accumulate, psum_o = psum_i + act_i * wgt_i.
// act_i is unsigned (post-ReLU activations), wgt_i is signed two's complement. Latency: 0 cycles
// (the PE registers the result).
module sa_mac #(
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 12
) (
  input  logic        [ActWidth-1:0]  act_i,
  input  logic signed [WgtWidth-1:0]  wgt_i,
  input  logic signed [PsumWidth-1:0] psum_i,
  output logic signed [PsumWidth-1:0] psum_o
);

  // Zero-extend the activation by one bit so that the product is a signed multiply.
  logic signed [ActWidth:0] act_signed;
  logic signed [ActWidth+WgtWidth:0] product;

  assign act_signed = $signed({1'b0, act_i});
  assign product    = act_signed * wgt_i;
  assign psum_o     = psum_i + PsumWidth'(product);

endmodule
