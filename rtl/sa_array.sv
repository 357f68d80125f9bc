// sa_array: Rows x Cols grid of sa_pe. Row r takes its activation (already skewed by r cycles)
// at its west edge; column c delivers its psum at the south edge, c cycles after column 0 for the
// same input vector. Latency from a row-0 activation at PE(0,0) to column c's sum at the south
// edge: Rows + c cycles. Weights are written one row (Cols weights) per cycle into a bank.
module sa_array #(
  parameter int unsigned Rows      = 8,
  parameter int unsigned Cols      = 8,
  parameter int unsigned ActWidth  = 4,
  parameter int unsigned WgtWidth  = 4,
  parameter int unsigned PsumWidth = 12
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  // weight load: row wgt_row_i of bank wgt_bank_i gets Cols weights (column c in bits c*WgtWidth)
  input  logic                             wgt_we_i,
  input  logic                             wgt_bank_i,
  input  logic [$clog2(Rows+1)-1:0]        wgt_row_i,
  input  logic [Cols*WgtWidth-1:0]         wgt_row_data_i,
  // skewed activations and their bank tags, one per row
  input  logic [Rows-1:0][ActWidth-1:0]    act_i,
  input  logic [Rows-1:0]                  act_bank_i,
  // column sums, one per column, column c lagging c cycles
  output logic [Cols-1:0][PsumWidth-1:0]   psum_o
);

  logic [ActWidth-1:0]  act_h  [Rows][Cols+1];  // horizontal links, [r][c] enters PE(r,c)
  logic                 bank_h [Rows][Cols+1];
  logic [PsumWidth-1:0] psum_v [Rows+1][Cols];  // vertical links, [r][c] enters PE(r,c)

  for (genvar r = 0; r < Rows; r++) begin : g_row
    assign act_h[r][0]  = act_i[r];
    assign bank_h[r][0] = act_bank_i[r];
    for (genvar c = 0; c < Cols; c++) begin : g_col
      if (r == 0) begin : g_top
        assign psum_v[0][c] = '0;
      end
      sa_pe #(
        .ActWidth (ActWidth),
        .WgtWidth (WgtWidth),
        .PsumWidth(PsumWidth)
      ) u_pe (
        .clk_i,
        .rst_ni,
        .wgt_we_i  (wgt_we_i && (32'(wgt_row_i) == r)),
        .wgt_bank_i(wgt_bank_i),
        .wgt_data_i(wgt_row_data_i[c*WgtWidth+:WgtWidth]),
        .act_i     (act_h[r][c]),
        .act_bank_i(bank_h[r][c]),
        .act_o     (act_h[r][c+1]),
        .act_bank_o(bank_h[r][c+1]),
        .psum_i    (psum_v[r][c]),
        .psum_o    (psum_v[r+1][c])
      );
    end
  end

  for (genvar c = 0; c < Cols; c++) begin : g_out
    assign psum_o[c] = psum_v[Rows][c];
  end

endmodule
