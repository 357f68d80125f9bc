// course_ws_delay: a plain shift register that delays a WIDTH-bit word by DEPTH >= 1 clock
// cycles. Registers are cleared by the synchronous, active-high rst. (A delay of 0 is just a
// wire; the caller handles that case, so clk/rst are never left unused.)
// Used for the input skew (row r of the activations) and the output de-skew (column c of the
// partial sums) of course_ws_array.
module course_ws_delay #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 1
) (
  input  logic             clk,
  input  logic             rst,
  input  logic [WIDTH-1:0] d,
  output logic [WIDTH-1:0] q
);
  initial begin
    if (WIDTH < 1 || DEPTH < 1) begin
      $fatal(1, "course_ws_delay: WIDTH and DEPTH must be >= 1");
    end
  end

  // Stage i occupies sr[i*WIDTH +: WIDTH]; stage 0 takes d, stage DEPTH-1 drives q.
  logic [DEPTH*WIDTH-1:0] sr;

  always_ff @(posedge clk) begin
    if (rst) begin
      sr <= '0;
    end else begin
      sr[0 +: WIDTH] <= d;
      for (int i = 1; i < DEPTH; i++) begin
        sr[i*WIDTH +: WIDTH] <= sr[(i-1)*WIDTH +: WIDTH];
      end
    end
  end

  assign q = sr[(DEPTH-1)*WIDTH +: WIDTH];
endmodule
