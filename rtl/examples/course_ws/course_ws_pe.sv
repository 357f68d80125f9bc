// course_ws_pe: one processing element of the weight-stationary array course_ws_array.
// It holds one stationary signed weight (written when w_we is high), and every clock cycle
//   a_out    <= a_in                          (activation moves one PE east)
//   psum_out <= psum_in + a_in * weight       (partial sum moves one PE south)
// a_in is unsigned (A_BITS), the weight is signed two's complement (W_BITS), the partial sums
// are signed two's complement (P_BITS, P_BITS > A_BITS and P_BITS > W_BITS).
// All registers are cleared by the synchronous, active-high rst.
module course_ws_pe #(
  parameter int A_BITS = 4,
  parameter int W_BITS = 4,
  parameter int P_BITS = 16
) (
  input  logic                     clk,
  input  logic                     rst,
  // weight load
  input  logic                     w_we,
  input  logic [W_BITS-1:0]        w_in,
  // activation, west to east
  input  logic [A_BITS-1:0]        a_in,
  output logic [A_BITS-1:0]        a_out,
  // partial sum, north to south
  input  logic signed [P_BITS-1:0] psum_in,
  output logic signed [P_BITS-1:0] psum_out
);
  logic [W_BITS-1:0] weight;

  always_ff @(posedge clk) begin
    if (rst) begin
      weight <= '0;
    end else if (w_we) begin
      weight <= w_in;
    end
  end

  // Extend both operands to P_BITS (activation: zero-extend, weight: sign-extend); the low
  // P_BITS bits of the product are then the exact signed product.
  wire signed [P_BITS-1:0] a_ext = $signed({{(P_BITS-A_BITS){1'b0}}, a_in});
  wire signed [P_BITS-1:0] w_ext = $signed({{(P_BITS-W_BITS){weight[W_BITS-1]}}, weight});

  always_ff @(posedge clk) begin
    if (rst) begin
      a_out    <= '0;
      psum_out <= '0;
    end else begin
      a_out    <= a_in;
      psum_out <= psum_in + a_ext * w_ext;
    end
  end
endmodule
