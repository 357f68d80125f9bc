// sa_array: Rows x Cols grid of sa_pe. Row r takes its activation (already skewed by r cycles)
// at its west edge; column c delivers its psum at the south edge, c cycles after column 0 for the
// same input vector. Latency from a row-0 activation at PE(0,0) to column c's sum at the south
// edge: Rows + c cycles. Weights are written one row (Cols weights) per cycle into a bank.
module sa_array #(
  parameter int Rows      = 8,
  parameter int Cols      = 8,
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 12,
  parameter int Wgt2Mode  = 0,                    // PEs with the 2-bit mode (sa_mac)
  localparam int LaneWidth = (Wgt2Mode != 0 ? 2 : 1) * ActWidth  // activation bits per row
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  // weight load: row wgt_row_i of bank wgt_bank_i gets Cols weights (column c in bits c*WgtWidth)
  input  logic                             wgt_we_i,
  input  logic                             wgt_bank_i,
  input  logic [$clog2(Rows+1)-1:0]        wgt_row_i,
  input  logic [Cols*WgtWidth-1:0]         wgt_row_data_i,
  // skewed activations and their bank and mode tags, one per row
  input  logic [Rows-1:0][LaneWidth-1:0]   act_i,
  input  logic [Rows-1:0]                  act_bank_i,
  input  logic [Rows-1:0]                  act_wgt2_i,
  // column sums, one per column, column c lagging c cycles
  output logic [Cols-1:0][PsumWidth-1:0]   psum_o
);

  // Links between PEs as packed arrays: act_h[r][c] enters PE(r, c) from the west (c = Cols is
  // the east edge), psum_v[r][c] enters PE(r, c) from the north (r = Rows is the south edge).
  // Not traced: a traced model rebuilt each of these vectors every cycle by concatenating every
  // PE's register into it, quadratic in the PE count (32 x 32: two thirds of the simulation
  // time, 0.025 Mcycles/s; 64 x 64: 0.001). Waveforms show the same values on each PE's ports.
  /* verilator tracing_off */
  logic [Rows-1:0][Cols:0][LaneWidth-1:0] act_h;
  logic [Rows-1:0][Cols:0]               bank_h, wgt2_h;
  logic [Rows:0][Cols-1:0][PsumWidth-1:0] psum_v;
  /* verilator tracing_on */

  // One-hot write enable of the row being loaded.
  logic [Rows-1:0] row_we;
  assign row_we = wgt_we_i ? Rows'(1) << wgt_row_i : '0;
  assign psum_v[0] = '0;

  for (genvar r = 0; r < Rows; r++) begin : g_row
    assign act_h[r][0]  = act_i[r];
    assign bank_h[r][0] = act_bank_i[r];
    assign wgt2_h[r][0] = act_wgt2_i[r];
    for (genvar c = 0; c < Cols; c++) begin : g_col
      sa_pe #(
        .ActWidth (ActWidth),
        .WgtWidth (WgtWidth),
        .PsumWidth(PsumWidth),
        .Wgt2Mode (Wgt2Mode)
      ) u_pe (
        .clk_i,
        .rst_ni,
        .wgt_we_i  (row_we[r]),
        .wgt_bank_i(wgt_bank_i),
        .wgt_data_i(wgt_row_data_i[c*WgtWidth+:WgtWidth]),
        .act_i     (act_h[r][c]),
        .act_bank_i(bank_h[r][c]),
        .act_wgt2_i(wgt2_h[r][c]),
        .act_o     (act_h[r][c+1]),
        .act_bank_o(bank_h[r][c+1]),
        .act_wgt2_o(wgt2_h[r][c+1]),
        .psum_i    (psum_v[r][c]),
        .psum_o    (psum_v[r+1][c])
      );
    end
  end

  assign psum_o = psum_v[Rows];

endmodule
