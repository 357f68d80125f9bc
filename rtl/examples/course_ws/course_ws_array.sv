// course_ws_array: a "course-style" weight-stationary systolic array.
//
// Structure
//   * N_ROWS x N_COLS grid of course_ws_pe; PE(r,c) holds the stationary weight w[r][c].
//   * Activations enter on the west edge and move east one PE per cycle; partial sums start
//     at 0 on the north edge and move south one PE per cycle; column c's dot product leaves
//     the south edge of PE(N_ROWS-1,c).
//   * Input skew: row r of in_data goes through r+1 registers (one input register + r skew
//     registers), so row r reaches column 0 r cycles after row 0.
//   * Output de-skew: column c goes through N_COLS-1-c registers, so all columns of one
//     vector leave together. out_data and out_valid come straight from registers.
//
// Latency
//   LATENCY = N_ROWS + N_COLS
//   If in_valid is high in the cycle ending with clock edge t (the vector is accepted at edge
//   t), out_valid is high with its result in the cycle ending with edge t + LATENCY.
//   Register count for the contribution of row r to column c:
//     (1 + r) input + skew registers, c east hops, (N_ROWS - r) PE psum registers (PE(r,c)
//     down to PE(N_ROWS-1,c)), (N_COLS - 1 - c) de-skew registers
//     = N_ROWS + N_COLS for every r and c. A valid bit travels a LATENCY-long shift register
//     alongside the data (it also gives idle).
//
// Interface rules
//   * rst is synchronous and active high; it clears all weights (to 0), the weight row counter,
//     all pipeline registers and out_valid. After reset idle is high.
//   * Weight load: while w_load is high, one row of N_COLS weights is written per cycle, rows
//     in order 0, 1, ..., N_ROWS-1 (internal row counter, reset by rst, wraps to 0 after
//     N_ROWS rows; it only advances on cycles with w_load high, so w_load may have gaps).
//     Column c of the row is w_data[c*W_BITS +: W_BITS] (signed two's complement).
//     Load only while idle is high, and never assert w_load and in_valid in the same cycle.
//     A vector accepted in the cycle right after the last w_load cycle already uses the
//     new weights.
//   * Compute: every cycle with in_valid high presents one vector; row r is
//     in_data[r*A_BITS +: A_BITS] (unsigned). in_valid may be low on any cycle.
//   * For every accepted vector exactly one output vector appears, in order, exactly LATENCY
//     cycles later: out_data[c*P_BITS +: P_BITS] = sum_r a[r] * w[r][c] (signed, P_BITS bits).
//     There is no ready/backpressure: the consumer must take out_data while out_valid is high.
//   * Cycles with in_valid low feed zeros into the array, so (after reset) out_data is 0
//     whenever out_valid is low.
//   * idle is high when no accepted vector is in flight: it is low from the cycle after a
//     vector is accepted up to and including the cycle its out_valid is high.
//   * Parameters: all >= 1 and P_BITS >= A_BITS + W_BITS + clog2(N_ROWS) + 1 (checked in an
//     initial block).
module course_ws_array #(
  parameter int N_ROWS = 8,   // PE rows = input channels per vector
  parameter int N_COLS = 8,   // PE columns = output channels
  parameter int A_BITS = 4,   // unsigned activation bits
  parameter int W_BITS = 4,   // signed (two's complement) weight bits
  parameter int P_BITS = 16   // signed output bits per column
) (
  input  logic                       clk,
  input  logic                       rst,       // synchronous, active high
  input  logic                       w_load,
  input  logic [N_COLS*W_BITS-1:0]   w_data,
  input  logic                       in_valid,
  input  logic [N_ROWS*A_BITS-1:0]   in_data,
  output logic                       out_valid,
  output logic [N_COLS*P_BITS-1:0]   out_data,
  output logic                       idle
);
  localparam int LATENCY  = N_ROWS + N_COLS;
  localparam int ROW_BITS = (N_ROWS > 1) ? $clog2(N_ROWS) : 1;

  // ---------------------------------------------------------------- parameter check
  initial begin
    if (N_ROWS < 1 || N_COLS < 1 || A_BITS < 1 || W_BITS < 1 || P_BITS < 1) begin
      $fatal(1, "course_ws_array: every parameter must be >= 1");
    end
    if (P_BITS < A_BITS + W_BITS + $clog2(N_ROWS) + 1) begin
      $fatal(1, "course_ws_array: P_BITS=%0d too small, need >= A_BITS + W_BITS + clog2(N_ROWS) + 1 = %0d",
             P_BITS, A_BITS + W_BITS + $clog2(N_ROWS) + 1);
    end
  end

  // ---------------------------------------------------------------- weight row counter
  logic [ROW_BITS-1:0] w_row;

  always_ff @(posedge clk) begin
    if (rst) begin
      w_row <= '0;
    end else if (w_load) begin
      if (w_row == ROW_BITS'(N_ROWS - 1)) begin
        w_row <= '0;
      end else begin
        w_row <= w_row + 1'b1;
      end
    end
  end

  // ---------------------------------------------------------------- valid pipeline / idle
  // vld_pipe[k] is high when the vector accepted k+1 edges ago is still in flight.
  logic [LATENCY-1:0] vld_pipe;

  always_ff @(posedge clk) begin
    if (rst) begin
      vld_pipe <= '0;
    end else begin
      vld_pipe <= {vld_pipe[LATENCY-2:0], in_valid};
    end
  end

  assign out_valid = vld_pipe[LATENCY-1];
  assign idle      = ~|vld_pipe;

  // ---------------------------------------------------------------- interconnect
  // a_h: activation entering PE(r,c) from the west, at ((r*(N_COLS+1)) + c) * A_BITS.
  //      Column N_COLS is what leaves the east edge; it is not used (see below).
  // p_v: partial sum entering PE(r,c) from the north, at ((r*N_COLS) + c) * P_BITS.
  //      Row 0 is tied to 0, row N_ROWS is the south edge (the column results).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [N_ROWS*(N_COLS+1)*A_BITS-1:0] a_h;  // east-edge outputs are intentionally unused
  /* verilator lint_on UNUSEDSIGNAL */
  wire [(N_ROWS+1)*N_COLS*P_BITS-1:0] p_v;
  wire [N_ROWS*A_BITS-1:0]            a_gated;

  assign a_gated = in_valid ? in_data : '0;
  assign p_v[0 +: N_COLS*P_BITS] = '0;

  // ---------------------------------------------------------------- input skew
  for (genvar r = 0; r < N_ROWS; r++) begin : g_skew
    course_ws_delay #(.WIDTH(A_BITS), .DEPTH(r + 1)) u_skew (
      .clk (clk),
      .rst (rst),
      .d   (a_gated[r*A_BITS +: A_BITS]),
      .q   (a_h[(r*(N_COLS+1))*A_BITS +: A_BITS])
    );
  end

  // ---------------------------------------------------------------- PE grid
  for (genvar r = 0; r < N_ROWS; r++) begin : g_row
    for (genvar c = 0; c < N_COLS; c++) begin : g_col
      course_ws_pe #(.A_BITS(A_BITS), .W_BITS(W_BITS), .P_BITS(P_BITS)) u_pe (
        .clk      (clk),
        .rst      (rst),
        .w_we     (w_load && (w_row == ROW_BITS'(r))),
        .w_in     (w_data[c*W_BITS +: W_BITS]),
        .a_in     (a_h[(r*(N_COLS+1) + c    )*A_BITS +: A_BITS]),
        .a_out    (a_h[(r*(N_COLS+1) + c + 1)*A_BITS +: A_BITS]),
        .psum_in  (p_v[( r     *N_COLS + c)*P_BITS +: P_BITS]),
        .psum_out (p_v[((r + 1)*N_COLS + c)*P_BITS +: P_BITS])
      );
    end
  end

  // ---------------------------------------------------------------- output de-skew
  // Column c needs N_COLS-1-c registers; the last column needs none.
  for (genvar c = 0; c < N_COLS; c++) begin : g_deskew
    if (c == N_COLS - 1) begin : g_direct
      assign out_data[c*P_BITS +: P_BITS] = p_v[(N_ROWS*N_COLS + c)*P_BITS +: P_BITS];
    end else begin : g_delay
      course_ws_delay #(.WIDTH(P_BITS), .DEPTH(N_COLS - 1 - c)) u_deskew (
        .clk (clk),
        .rst (rst),
        .d   (p_v[(N_ROWS*N_COLS + c)*P_BITS +: P_BITS]),
        .q   (out_data[c*P_BITS +: P_BITS])
      );
    end
  end
endmodule
